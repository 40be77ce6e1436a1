"""The scale-out runs of the suite (.ci/scale_out): task tests on Redis, selector tests on a real standby.

* ``KEPU_TEST_TASKS_BACKEND=rq`` with ``KEPU_REDIS_URL``: every task runs through django-tasks-rq and an RQ worker
  (kepu.core.testing.rq), Redis's database emptied at the start.
* ``KEPU_REPLICA_URL`` (a streaming standby of the test's PostgreSQL): the router is on, and the tests of the
  routed selectors run with their rows committed (transactional tests) so the standby can see them; before each
  routed read the suite waits until the standby has replayed the primary's last commit (in production a page
  reads what the standby has). The test database is created on the primary only and reaches the standby by
  replication; the standby is never flushed.

Without either variable nothing here changes the suite. ``python -m kepu.core.testing.scale_out`` prints the
tests such a run takes (with the two-hosts test, KEPU_TEST_TWO_HOSTS=1).
"""

from __future__ import annotations

import os
import time

REPLICA_MODE = bool(os.environ.get("KEPU_REPLICA_URL"))
TASKS_MODE = os.environ.get("KEPU_TEST_TASKS_BACKEND") == "rq"

#: Tests that enqueue tasks: the periodic ones (every one, through the scheduler), the fan-outs (an emergency's
#: waves and channels, a push in batches), an import through the pages, and one task run
#: by RQ's own worker process. One test of each kind: the step must stay short (CI's time); every other test of
#: these files passes on Redis too (KEPU_TEST_TASKS_BACKEND=rq on the whole files, measured 2026-12-06).
TASK_TESTS = (
    "kepu/core/tests/test_infrastructure.py::test_scheduler_enqueues_each_periodic_task_once_per_interval",
    "kepu/core/tests/test_infrastructure.py::test_expired_login_codes_are_purged",
    "kepu/core/tests/test_tasks_on_redis.py",
    "kepu/orders/tests/test_unrated.py::test_a_delivered_order_is_reminded_then_closes_itself_after_seven_days",
    "kepu/emergency/tests/test_declare.py::test_sms_and_wechat_go_out_from_the_channel_tasks_once_per_person",
    "kepu/resources/tests/test_services.py::test_a_push_reaches_the_chosen_population_of_the_chosen_place_in_batches",
    "kepu/volunteers/tests/test_imports.py::test_background_import_through_the_pages_shows_progress_and_the_report",
)
#: Tests of the selectors marked ``use_replica`` (the public calendar, the 三率 dashboard, the leaders' page), run on
#: the standby; the whole files (and activities/tests/test_calendar_tags.py) pass there too, measured 2026-12-06.
REPLICA_TESTS = (
    "kepu/core/tests/test_replica_live.py",
    "kepu/orders/tests/test_rates.py::test_figures_are_right_on_the_first_view_after_each_change",
    "kepu/leaders/tests/test_page.py::test_the_page_shows_the_figures_links_to_records_and_drills_down",
)
REPLICA_TEST_FILES = {test.split("::", 1)[0] for test in REPLICA_TESTS}
TWO_HOSTS_TESTS = ("kepu/core/tests/test_two_hosts.py",)


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
    print(" ".join(TASK_TESTS + REPLICA_TESTS + TWO_HOSTS_TESTS))
