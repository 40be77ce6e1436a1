"""The scale-out runs of the suite (.ci/scale_out): task tests on Redis, selector tests on a real standby.

* ``KEPU_TEST_TASKS_BACKEND=rq`` with ``KEPU_REDIS_URL``: every task runs through django-tasks-rq and an RQ worker
  (kepu.core.testing.rq), Redis's database emptied at the start.
* ``KEPU_REPLICA_URL`` (a streaming standby of the test's PostgreSQL): the router is on, and the tests of the
  routed selectors run with their rows committed (transactional tests) so the standby can see them; before each
  routed read the suite waits until the standby has replayed the primary's last commit (in production a page
  reads what the standby has). The test database is created on the primary only and reaches the standby by
  replication; the standby is never flushed.

Without either variable nothing here changes the suite. ``python -m kepu.core.testing.scale_out`` prints the
files such a run takes.
"""

from __future__ import annotations

import os
import time

REPLICA_MODE = bool(os.environ.get("KEPU_REPLICA_URL"))
TASKS_MODE = os.environ.get("KEPU_TEST_TASKS_BACKEND") == "rq"

#: Tests that enqueue tasks: the periodic ones, the fan-outs (emergency, pushes, notifications), the imports,
#: the survey's estimation.
TASK_TEST_FILES = (
    "kepu/core/tests/test_infrastructure.py",
    "kepu/core/tests/test_tasks_on_redis.py",
    "kepu/orders/tests/test_deadlines.py",
    "kepu/orders/tests/test_unrated.py",
    "kepu/emergency/tests/test_declare.py",
    "kepu/resources/tests/test_services.py",
    "kepu/volunteers/tests/test_imports.py",
    "kepu/volunteers/tests/test_import_security.py",
)
#: Tests of the selectors marked ``use_replica`` (public calendar, library, 三率 dashboard, leaders' page).
REPLICA_TEST_FILES = (
    "kepu/core/tests/test_replica_live.py",
    "kepu/activities/tests/test_calendar_tags.py",
    "kepu/orders/tests/test_rates.py",
    "kepu/leaders/tests/test_page.py",
)
TWO_HOSTS_FILES = ("kepu/core/tests/test_two_hosts.py",)


def modify_items(items) -> None:
    if not REPLICA_MODE:
        return
    import pytest

    for item in items:
        if item.nodeid.split("::", 1)[0] in REPLICA_TEST_FILES:
            item.add_marker(pytest.mark.django_db(transaction=True, databases=["default", "replica"]), append=False)


def after_db_setup(blocker) -> None:
    if TASKS_MODE:
        import django_rq

        django_rq.get_connection().flushdb()
    if REPLICA_MODE:
        with blocker.unblock():
            _point_replica_at_test_database()
        from kepu.core import dbrouter

        dbrouter.before_replica_read = wait_for_standby


def before_test() -> None:
    """Each test starts outside any request, as the suite's direct calls of selectors are."""
    if REPLICA_MODE:
        from kepu.core import dbrouter

        dbrouter.forget_request()


def _point_replica_at_test_database() -> None:
    from django.conf import settings
    from django.db import OperationalError, connections

    replica = connections["replica"]
    replica.close()
    replica.settings_dict = {**settings.DATABASES["replica"], "NAME": connections["default"].settings_dict["NAME"]}
    deadline = time.monotonic() + 60
    while True:  # the CREATE DATABASE of the test database reaches the standby by replication
        try:
            with replica.cursor() as cursor:
                cursor.execute("SELECT pg_is_in_recovery()")
                if not cursor.fetchone()[0]:
                    raise RuntimeError("KEPU_REPLICA_URL is not a standby (pg_is_in_recovery() is false)")
            return
        except OperationalError:
            replica.close()
            if time.monotonic() > deadline:
                raise
            time.sleep(0.2)


def wait_for_standby(timeout: float = 30.0) -> None:
    from django.db import connections

    with connections["default"].cursor() as cursor:
        cursor.execute("SELECT pg_current_wal_lsn()")
        lsn = cursor.fetchone()[0]
    deadline = time.monotonic() + timeout
    with connections["replica"].cursor() as cursor:
        while True:
            cursor.execute("SELECT pg_last_wal_replay_lsn() >= %s::pg_lsn", [lsn])
            if cursor.fetchone()[0]:
                return
            if time.monotonic() > deadline:
                raise TimeoutError(f"the standby did not replay {lsn} in {timeout:.0f} s")
            time.sleep(0.005)


if __name__ == "__main__":
    print(" ".join(TASK_TEST_FILES + REPLICA_TEST_FILES + TWO_HOSTS_FILES))
