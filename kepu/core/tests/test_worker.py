"""Background work that does not stop silently: supervised, retried, watched, and recovered."""

import sys
import time
from datetime import timedelta
from pathlib import Path

import pytest
from django.core.management import call_command
from django.db import OperationalError
from django.urls import reverse
from django.utils import timezone

from kepu.core import worker as kw
from kepu.core.models import WorkerBeat
from kepu.core.supervise import Supervised

DB_TASKS = {"default": {"BACKEND": "django_tasks_db.DatabaseBackend"}}


def test_dev_up_restarts_a_background_process_that_exits(tmp_path):
    marker = tmp_path / "runs"
    child = [sys.executable, "-c", f"open({str(marker)!r}, 'a').write('x')"]
    supervised = Supervised("test", child, env={}, first_pause=0.01).start()
    deadline = time.monotonic() + 20
    while (not marker.exists() or len(marker.read_text()) < 3) and time.monotonic() < deadline:
        supervised.stopping.wait(0.02)
    supervised.stop()
    assert len(marker.read_text()) >= 3  # it died and came back, twice at least


def test_dev_up_runs_the_worker_without_the_autoreloader():
    text = (Path(__file__).resolve().parents[3] / "dev.py").read_text()
    assert 'Supervised("worker", [PY, "manage.py", "run_worker"]' in text and '"db_worker"' not in text
    from kepu.core.management.commands import run_worker

    assert "--reload" not in run_worker.Command().create_parser("manage.py", "run_worker").format_help()


@pytest.mark.django_db(transaction=True)  # the worker closes its connection between tasks, as in production
def test_the_worker_runs_queued_tasks_beats_and_marks_itself_stopped(settings):
    from django_tasks_db.models import DBTaskResult

    from kepu.accounts.tasks import purge_expired_login_codes

    settings.TASKS = DB_TASKS
    result = purge_expired_login_codes.enqueue()
    call_command("run_worker", "--batch")
    assert DBTaskResult.objects.get(pk=result.id).status == "SUCCESSFUL"
    beat = WorkerBeat.objects.get()
    assert beat.stopped_at is not None and beat.pid > 0 and kw.stale_workers() == []


class FlakyWorker:
    """Fails like a locked SQLite database a few times, then runs."""

    def __init__(self, failures):
        self.running, self.failures, self.runs, self.current_task_id = True, failures, 0, None

    def run(self):
        self.runs += 1
        if self.failures:
            self.failures -= 1
            raise OperationalError("database is locked")


def test_a_transient_database_error_is_retried_not_fatal(monkeypatch):
    pauses = []
    monkeypatch.setattr(kw.time, "sleep", pauses.append)
    monkeypatch.setattr(kw, "connection", type("C", (), {"close": staticmethod(lambda: None)}))
    worker, beat = FlakyWorker(3), kw.Heartbeat("w")
    kw.run_supervised_loop(worker, beat)
    assert worker.runs == 4 and beat.errors == 3 and pauses == [1.0, 2.0, 4.0]


def test_other_errors_still_stop_the_worker_so_the_supervisor_restarts_it():
    class Broken(FlakyWorker):
        def run(self):
            raise RuntimeError("bug")

    with pytest.raises(RuntimeError):
        kw.run_supervised_loop(Broken(0), kw.Heartbeat("w"))


@pytest.mark.django_db(transaction=True)
def test_a_worker_that_crashes_is_not_marked_stopped_so_the_operator_sees_it_gone(settings, monkeypatch):
    import datetime as dt

    from django.utils import timezone

    settings.TASKS = DB_TASKS

    def crash(worker, heartbeat, **kwargs):
        raise RuntimeError("bug")

    monkeypatch.setattr(kw, "run_supervised_loop", crash)
    with pytest.raises(RuntimeError):
        call_command("run_worker", "--batch")
    beat = WorkerBeat.objects.get()
    assert beat.stopped_at is None
    assert [b.worker_id for b in kw.stale_workers(now=timezone.now() + dt.timedelta(minutes=2))] == [beat.worker_id]


@pytest.mark.django_db
def test_tasks_of_a_vanished_worker_are_failed_and_their_app_is_told():
    from django_tasks_db.models import DBTaskResult

    now = timezone.now()
    WorkerBeat.objects.create(worker_id="alive", started_at=now, last_seen_at=now)
    WorkerBeat.objects.create(worker_id="gone", started_at=now, last_seen_at=now - timedelta(minutes=5))

    def result(worker_id, job):
        return DBTaskResult.objects.create(
            status="RUNNING",
            args_kwargs={"args": [job], "kwargs": {}},
            task_path="kepu.volunteers.tasks.run_import",
            backend_name="default",
            queue_name="default",
            run_after=now,
            worker_ids=[worker_id],
        )

    alive, gone = result("alive", 1), result("gone", 2)
    told = []
    kw.task_abandoned.connect(lambda sender, **kw_: told.append(kw_["args"]), weak=False, dispatch_uid="t")
    try:
        assert kw.recover_abandoned() == 1
    finally:
        kw.task_abandoned.disconnect(dispatch_uid="t")
    assert DBTaskResult.objects.get(pk=gone.pk).status == "FAILED"
    assert DBTaskResult.objects.get(pk=alive.pk).status == "RUNNING"
    assert told == [[2]]


@pytest.mark.django_db
def test_the_city_office_home_shows_a_worker_not_seen_for_a_minute(client, world):
    from kepu.volunteers.tests.test_views import login

    now = timezone.now()
    WorkerBeat.objects.create(
        worker_id="w1", host="app-1", pid=4242, started_at=now, last_seen_at=now - timedelta(minutes=3)
    )
    WorkerBeat.objects.create(worker_id="w2", host="app-2", pid=7, started_at=now, last_seen_at=now)
    login(client, world.city_admin)
    page = client.get(reverse("core:role_home", args=["city_admin"])).content.decode()
    assert 'data-testid="stale-workers"' in page and "app-1" in page and "4242" in page and "app-2" not in page
    login(client, world.a.admin)
    page = client.get(reverse("core:role_home", args=["district_admin"])).content.decode()
    assert "stale-workers" not in page
