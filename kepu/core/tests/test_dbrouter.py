"""The read-replica router's rules, on any database (the decisions), and the settings that switch it on.

The replica run in CI (.ci/scale_out: a streaming standby of CI's PostgreSQL) runs the routed selectors' tests
against a real standby; here the standby's reachability and the transaction state are stood in for.
"""

import json
import os
import subprocess
import sys
import time
from pathlib import Path

import pytest
from django.db import DEFAULT_DB_ALIAS
from django.http import HttpResponse
from django.test import RequestFactory

from kepu.core import dbrouter
from kepu.core.models import RateCounter

ROOT = Path(__file__).resolve().parents[3]


@pytest.fixture
def replica_on(monkeypatch, settings):
    """A configured, reachable standby, and a read outside any transaction (as a page's read is)."""
    monkeypatch.setattr(dbrouter, "configured", lambda: True)
    monkeypatch.setattr(dbrouter, "reachable", lambda: True)
    monkeypatch.setattr(dbrouter, "in_transaction", lambda: False)
    dbrouter.start_request(pinned=False)
    yield
    dbrouter.forget_request()


@dbrouter.use_replica
def public_list():
    return RateCounter.objects.all()


@dbrouter.use_replica
def where_the_router_sends_reads():
    return dbrouter.ReplicaRouter().db_for_read(RateCounter)


def test_without_a_replica_setting_nothing_changes(db):
    assert not dbrouter.configured()
    assert public_list().db == DEFAULT_DB_ALIAS


def test_a_marked_selector_reads_the_standby_and_its_queryset_stays_there(replica_on):
    assert where_the_router_sends_reads() == dbrouter.REPLICA
    assert public_list().db == dbrouter.REPLICA  # evaluated later by a paginator: still the standby


def test_reads_outside_marked_selectors_stay_on_the_primary(replica_on):
    assert dbrouter.ReplicaRouter().db_for_read(RateCounter) == DEFAULT_DB_ALIAS
    assert RateCounter.objects.all().db == DEFAULT_DB_ALIAS


def test_after_a_write_the_same_request_reads_the_primary(replica_on):
    router = dbrouter.ReplicaRouter()
    assert router.db_for_write(RateCounter) == DEFAULT_DB_ALIAS
    assert where_the_router_sends_reads() == DEFAULT_DB_ALIAS
    assert public_list().db == DEFAULT_DB_ALIAS


def test_outside_a_request_or_task_only_the_transaction_rule_holds(replica_on):
    dbrouter.forget_request()  # a shell, a management command
    dbrouter.ReplicaRouter().db_for_write(RateCounter)
    assert public_list().db == dbrouter.REPLICA


def test_a_task_starts_afresh_and_tracks_its_own_writes(replica_on, db):
    from django_tasks.signals import task_started

    from kepu.accounts.tasks import purge_expired_login_codes

    dbrouter.ReplicaRouter().db_for_write(RateCounter)
    assert public_list().db == DEFAULT_DB_ALIAS
    seen = []

    def at_start(sender, **kwargs):  # connected after the router's own receiver
        seen.append(public_list().db)

    task_started.connect(at_start)
    try:
        purge_expired_login_codes.enqueue()  # the next task on this thread (the immediate backend runs it here)
    finally:
        task_started.disconnect(at_start)
    assert seen == [dbrouter.REPLICA]


def test_inside_a_transaction_reads_the_primary(replica_on, monkeypatch):
    monkeypatch.setattr(dbrouter, "in_transaction", lambda: True)
    assert public_list().db == DEFAULT_DB_ALIAS
    assert where_the_router_sends_reads() == DEFAULT_DB_ALIAS


@pytest.mark.django_db(transaction=True)
def test_the_transaction_rule_reads_the_real_connection_state(settings, monkeypatch):
    monkeypatch.setattr(dbrouter, "configured", lambda: True)
    monkeypatch.setattr(dbrouter, "reachable", lambda: True)
    dbrouter.start_request(pinned=False)
    from django.db import transaction

    assert dbrouter.read_alias() == dbrouter.REPLICA
    with transaction.atomic():
        assert dbrouter.read_alias() == DEFAULT_DB_ALIAS


def test_an_unreachable_standby_sends_the_page_to_the_primary(replica_on, monkeypatch, caplog):
    from django.db import OperationalError

    class Down:
        def ensure_connection(self):
            raise OperationalError("connection refused")

    monkeypatch.undo()  # the real reachability check, against a standby that refuses
    monkeypatch.setattr(dbrouter, "configured", lambda: True)
    monkeypatch.setattr(dbrouter, "in_transaction", lambda: False)
    monkeypatch.setattr(dbrouter, "connections", {dbrouter.REPLICA: Down()})
    assert dbrouter.read_alias() == DEFAULT_DB_ALIAS
    assert public_list().db == DEFAULT_DB_ALIAS
    assert "replica unreachable" in caplog.text


def _view_that(writes: bool):
    def view(request):
        if writes:
            dbrouter.ReplicaRouter().db_for_write(RateCounter)
        return HttpResponse(where_the_router_sends_reads())

    return dbrouter.ReplicaPinMiddleware(view)


def test_a_browser_that_wrote_reads_the_primary_for_a_few_seconds_on_any_host(replica_on, settings):
    settings.KEPU_REPLICA_PIN_SECONDS = 10
    rf = RequestFactory()
    response = _view_that(writes=True)(rf.post("/"))
    cookie = response.cookies[dbrouter.PIN_COOKIE]
    assert cookie["max-age"] == 10 and cookie["httponly"]
    assert 8 < float(cookie.value) - time.time() < 11
    # The next page, from another process: the cookie alone pins it (no state kept in a process).
    request = rf.get("/")
    request.COOKIES[dbrouter.PIN_COOKIE] = cookie.value
    assert _view_that(writes=False)(request).content == DEFAULT_DB_ALIAS.encode()
    # Without it (or once it ran out, or garbage), the page reads the standby and sets nothing.
    for value in (None, f"{time.time() - 1:.0f}", "x"):
        request = rf.get("/")
        if value is not None:
            request.COOKIES[dbrouter.PIN_COOKIE] = value
        response = _view_that(writes=False)(request)
        assert response.content == dbrouter.REPLICA.encode()
        assert dbrouter.PIN_COOKIE not in response.cookies


def test_migrations_run_on_the_primary_only_and_rows_from_both_may_relate():
    router = dbrouter.ReplicaRouter()
    assert router.allow_migrate(DEFAULT_DB_ALIAS, "core") and not router.allow_migrate(dbrouter.REPLICA, "core")
    a, b = RateCounter(), RateCounter()
    a._state.db, b._state.db = DEFAULT_DB_ALIAS, dbrouter.REPLICA
    assert router.allow_relation(a, b)


def _settings_with(**env) -> dict:
    code = (
        "import json, kepu.settings as s; print(json.dumps({'replica': s.DATABASES.get('replica'),"
        " 'routers': getattr(s, 'DATABASE_ROUTERS', []), 'middleware': [m for m in s.MIDDLEWARE if 'dbrouter' in m],"
        " 'tasks': s.TASKS['default']['BACKEND'], 'apps': s.INSTALLED_APPS[-2:],"
        " 'rq': getattr(s, 'RQ_QUEUES', None)}, default=str))"
    )
    environ = {k: v for k, v in os.environ.items() if k not in {"KEPU_REPLICA_URL", "KEPU_TASKS_BACKEND"}}
    out = subprocess.run(
        [sys.executable, "-c", code],
        env={**environ, "KEPU_TESTING": "1", **env},
        cwd=ROOT,
        capture_output=True,
        text=True,
        check=True,
    )
    return json.loads(out.stdout)


def test_the_settings_switch_the_replica_and_the_redis_backend_on_and_default_to_neither():
    plain = _settings_with()
    assert plain["replica"] is None and plain["routers"] == [] and plain["tasks"] == "django_tasks_db.DatabaseBackend"
    assert plain["rq"] is None and plain["middleware"] == []
    on = _settings_with(
        KEPU_REPLICA_URL="postgres://reader@replica.example:5432/kepu",
        KEPU_TASKS_BACKEND="rq",
        KEPU_REDIS_URL="redis://127.0.0.1:6390/2",
    )
    assert on["replica"]["HOST"] == "replica.example" and on["replica"]["TEST"] == {"MIRROR": "default"}
    assert on["routers"] == ["kepu.core.dbrouter.ReplicaRouter"]
    # Among the others (the metrics' middleware stays last, so it times everything): present once.
    assert on["middleware"] == ["kepu.core.dbrouter.ReplicaPinMiddleware"]
    assert on["tasks"] == "django_tasks_rq.RQBackend" and on["apps"] == ["django_rq", "django_tasks_rq"]
    assert on["rq"]["default"]["URL"] == "redis://127.0.0.1:6390/2"
