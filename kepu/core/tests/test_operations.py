"""Operations: readiness, structured logs with a request id, and Prometheus metrics behind an address or a token."""

import json
import os
import subprocess
import sys
from datetime import timedelta
from pathlib import Path

import pytest
from django.db import connection
from django.db.migrations.recorder import MigrationRecorder
from django.utils import timezone

from kepu.core import metrics, readiness
from kepu.core.models import WorkerBeat

ROOT = Path(__file__).resolve().parents[3]
pytestmark = pytest.mark.django_db


# --- /readyz -----------------------------------------------------------------------------------------------------


def test_readyz_is_ready_on_a_migrated_database_and_costs_a_few_queries(client, django_assert_max_num_queries):
    with django_assert_max_num_queries(3):
        response = client.get("/readyz")
    assert response.status_code == 200 and response.json() == {"ready": True}


def test_readyz_is_not_ready_while_a_migration_of_this_code_is_missing(client):
    app, name = max(m for m in readiness.expected_migrations() if m[0] == "core")
    MigrationRecorder(connection).record_unapplied(app, name)  # as if the code was deployed before `migrate`
    response = client.get("/readyz")
    assert response.status_code == 503
    assert response.json() == {"ready": False, "reason": "migrations not applied"}
    assert client.get("/healthz").status_code == 200  # alive all the same: no restart for a pending migration


def test_readyz_is_not_ready_when_the_database_does_not_answer(client, monkeypatch):
    from django.db import OperationalError

    class Down:
        def cursor(self):
            raise OperationalError("connection refused")

    monkeypatch.setattr(readiness, "connection", Down())
    response = client.get("/readyz")
    assert response.status_code == 503 and response.json()["reason"] == "database unavailable"


def test_readyz_waits_for_a_task_worker_only_when_configured(client, settings):
    assert client.get("/readyz").status_code == 200  # no worker anywhere, and none asked for
    settings.KEPU_READY_WORKER_SECONDS = 60
    response = client.get("/readyz")
    assert response.status_code == 503 and response.json()["reason"] == "no task worker seen for 60 s"
    now = timezone.now()
    beat = WorkerBeat.objects.create(worker_id="w1", host="app1", started_at=now, last_seen_at=now)
    assert client.get("/readyz").json() == {"ready": True}
    WorkerBeat.objects.filter(pk=beat.pk).update(last_seen_at=now - timedelta(minutes=2))
    assert client.get("/readyz").status_code == 503
    WorkerBeat.objects.filter(pk=beat.pk).update(last_seen_at=now, stopped_at=now)  # stopped on purpose: gone
    assert client.get("/readyz").status_code == 503


# --- request id and JSON logs ------------------------------------------------------------------------------------


def test_every_answer_carries_its_own_request_id(client):
    first, second = client.get("/healthz"), client.get("/no-such-page/")
    assert len(first["X-Request-ID"]) == 32 and first["X-Request-ID"] != second["X-Request-ID"]


def test_a_request_id_from_the_trusted_proxy_is_kept_and_anything_else_replaced(client, settings):
    settings.KEPU_REQUEST_ID_HEADER = "X-Request-ID"
    proxied = {"HTTP_X_REQUEST_ID": "4f1c2d3e4f5a6b7c", "REMOTE_ADDR": "127.0.0.1"}
    assert client.get("/healthz", **proxied)["X-Request-ID"] == "4f1c2d3e4f5a6b7c"
    stranger = {**proxied, "REMOTE_ADDR": "203.0.113.7"}  # not a proxy: it may not choose the id in our logs
    assert client.get("/healthz", **stranger)["X-Request-ID"] != "4f1c2d3e4f5a6b7c"
    forged = {**proxied, "HTTP_X_REQUEST_ID": 'x" injected\nline'}
    assert "injected" not in client.get("/healthz", **forged)["X-Request-ID"]


LOG_SCRIPT = """
import logging, django
django.setup()
from django.test import Client
c = Client()
for path in ("/healthz", "/no-such-page/?phone=13912345678"):
    print(c.get(path)["X-Request-ID"])
logging.getLogger("kepu.worker").warning("outside any request")
"""


def test_json_logs_are_one_object_per_line_with_the_request_fields(tmp_path):
    env = {k: v for k, v in os.environ.items() if not k.startswith("KEPU_") and k != "DATABASE_URL"}
    env.update(
        {
            "PYTHONPATH": str(ROOT),
            "DJANGO_SETTINGS_MODULE": "kepu.settings",
            "KEPU_TESTING": "1",
            "KEPU_LOG_FORMAT": "json",
            "KEPU_SQLITE_PATH": str(tmp_path / "empty.sqlite3"),  # /healthz needs no table
        }
    )
    run = subprocess.run([sys.executable, "-c", LOG_SCRIPT], env=env, cwd=ROOT, capture_output=True, text=True)
    assert run.returncode == 0, run.stderr
    ok_id, missing_id = run.stdout.split()
    lines = [json.loads(line) for line in run.stderr.splitlines()]  # fails on any line that is not one object
    requests = [line for line in lines if line["logger"] == "kepu.request"]
    assert [(r["method"], r["path"], r["status"]) for r in requests] == [
        ("GET", "/healthz", 200),
        ("GET", "/no-such-page/", 404),
    ]
    assert [r["request_id"] for r in requests] == [ok_id, missing_id]
    for r in requests:
        assert {"time", "level", "message", "duration_ms", "db_queries", "db_ms"} <= set(r)
        assert r["level"] == "INFO" and r["time"].endswith("+00:00")
    assert requests[0]["db_queries"] == 1  # SELECT 1
    # Django's own line about the 404 carries the same request id; nothing logs the query string.
    not_found = next(line for line in lines if line["logger"] == "django.request")
    assert not_found["request_id"] == missing_id and not_found["status"] == 404
    assert "13912345678" not in run.stderr
    outside = next(line for line in lines if line["logger"] == "kepu.worker")
    assert outside["message"] == "outside any request" and "request_id" not in outside


# --- /metrics ----------------------------------------------------------------------------------------------------


@pytest.fixture
def fresh_task_figures():
    metrics._tasks._cached = None
    yield
    metrics._tasks._cached = None


def test_metrics_answer_nobody_until_an_address_or_a_token_is_configured(client, settings):
    assert settings.KEPU_METRICS_ALLOW == [] and settings.KEPU_METRICS_TOKEN == ""
    response = client.get("/metrics", REMOTE_ADDR="127.0.0.1", HTTP_AUTHORIZATION="Bearer ")
    assert response.status_code == 403 and b"django_http" not in response.content


def test_metrics_from_an_allowed_address_show_requests_database_and_tasks(client, settings, fresh_task_figures):
    from django_tasks_db.models import DBTaskResult

    settings.KEPU_METRICS_ALLOW = ["10.0.0.0/8"]
    settings.TASKS = {"default": {"BACKEND": "django_tasks_db.DatabaseBackend"}}
    now = timezone.now()
    task = {"args_kwargs": {}, "task_path": "kepu.x", "backend_name": "default", "run_after": now}
    DBTaskResult.objects.create(**task)
    DBTaskResult.objects.create(**task)
    DBTaskResult.objects.create(**task, status="FAILED", finished_at=now - timedelta(minutes=5))
    DBTaskResult.objects.create(**task, status="FAILED", finished_at=now - timedelta(hours=3))
    client.get("/healthz")
    response = client.get("/metrics", REMOTE_ADDR="10.1.2.3")
    assert response.status_code == 200
    text = response.content.decode()
    healthz = 'django_http_responses_total_by_status_view_method_total{method="GET",status="200",view="core:healthz"}'
    assert healthz in text
    assert f'django_db_execute_total{{alias="default",vendor="{connection.vendor}"}}' in text
    figures = dict(line.split(" ") for line in text.splitlines() if line.startswith("kepu_tasks_"))
    assert float(figures["kepu_tasks_queued"]) == 2
    assert float(figures["kepu_tasks_failed_last_hour"]) == 1
    assert float(figures["kepu_tasks_oldest_queued_age_seconds"]) >= 0


def test_metrics_judge_the_client_behind_the_proxy_not_the_proxy(client, settings):
    settings.KEPU_METRICS_ALLOW = ["10.0.0.0/8", "127.0.0.1"]
    settings.KEPU_TRUSTED_PROXY_HEADER = "X-Forwarded-For"
    via_proxy = {"REMOTE_ADDR": "127.0.0.1"}
    assert client.get("/metrics", **via_proxy, HTTP_X_FORWARDED_FOR="203.0.113.5").status_code == 403
    assert client.get("/metrics", **via_proxy, HTTP_X_FORWARDED_FOR="10.9.8.7").status_code == 200


def test_metrics_with_the_token_from_anywhere_and_refused_with_another(client, settings):
    settings.KEPU_METRICS_TOKEN = "scrape-me-7d1e"
    outside = {"REMOTE_ADDR": "198.51.100.4"}
    assert client.get("/metrics", **outside, HTTP_AUTHORIZATION="Bearer scrape-me-7d1e").status_code == 200
    assert client.get("/metrics", **outside, HTTP_AUTHORIZATION="Bearer scrape-me-7d1f").status_code == 403
    assert client.get("/metrics", **outside).status_code == 403


def test_metrics_are_refused_to_a_signed_in_office_outside_the_allowed_addresses(client, world):
    from kepu.core.testing.web import login

    login(client, world.a.admin)  # being staff is no key to the operator's figures
    assert client.get("/metrics", REMOTE_ADDR="198.51.100.4").status_code == 403


MULTIPROCESS_SCRIPT = """
import sys, django
django.setup()
from django.test import Client
c = Client()
for _ in range(int(sys.argv[1])):
    assert c.get("/healthz").status_code == 200
if sys.argv[2] == "scrape":
    print(c.get("/metrics").content.decode())
"""


def test_with_gunicorns_metrics_directory_a_scrape_sums_every_process(tmp_path):
    """Two processes (as two gunicorn workers) write to PROMETHEUS_MULTIPROC_DIR; one scrape counts both. The
    database here has no tables: request figures still answer, and the task figures say they are down."""
    (tmp_path / "metrics").mkdir()
    env = {k: v for k, v in os.environ.items() if not k.startswith("KEPU_") and k != "DATABASE_URL"}
    env.update(
        {
            "PYTHONPATH": str(ROOT),
            "DJANGO_SETTINGS_MODULE": "kepu.settings",
            "KEPU_TESTING": "1",
            "KEPU_SQLITE_PATH": str(tmp_path / "empty.sqlite3"),
            "KEPU_METRICS_ALLOW": "127.0.0.1",
            "PROMETHEUS_MULTIPROC_DIR": str(tmp_path / "metrics"),
        }
    )

    def run(requests, scrape):
        done = subprocess.run(
            [sys.executable, "-c", MULTIPROCESS_SCRIPT, str(requests), scrape],
            env=env,
            cwd=ROOT,
            capture_output=True,
            text=True,
        )
        assert done.returncode == 0, done.stderr
        return done.stdout

    run(3, "no")
    text = run(1, "scrape")
    line = 'django_http_responses_total_by_status_view_method_total{method="GET",status="200",view="core:healthz"}'
    counts = [float(row.split(" ")[-1]) for row in text.splitlines() if row.startswith(line)]
    assert counts == [4.0]
    assert "kepu_task_figures_up 0.0" in text


# --- The web process's start -------------------------------------------------------------------------------------

START_SCRIPT = """
import gc
import kepu.wsgi
from django.urls import resolve
frozen = gc.get_freeze_count()
resolve("/healthz")  # the URL patterns were loaded before the first request
print(frozen, len(gc.get_objects()))
"""


def test_the_web_process_loads_its_views_then_keeps_them_out_of_the_collectors_walks(tmp_path):
    env = {k: v for k, v in os.environ.items() if not k.startswith("KEPU_") and k != "DATABASE_URL"}
    env.update(
        {
            "PYTHONPATH": str(ROOT),
            "DJANGO_SETTINGS_MODULE": "kepu.settings",
            "KEPU_TESTING": "1",
            "KEPU_SQLITE_PATH": str(tmp_path / "empty.sqlite3"),
        }
    )
    run = subprocess.run([sys.executable, "-c", START_SCRIPT], env=env, cwd=ROOT, capture_output=True, text=True)
    assert run.returncode == 0, run.stderr
    frozen, walked = map(int, run.stdout.split())
    # Every view module is imported and frozen: what a full collection walks is a small part of what was loaded.
    assert frozen > 100_000
    assert walked < frozen / 10
