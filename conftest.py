"""Fixtures shared by every app's tests."""

import os
import shutil

import pytest

from kepu.core.actor import Actor
from kepu.core.testing import scale_out

os.environ.setdefault("DJANGO_ALLOW_ASYNC_UNSAFE", "true")  # live_server + ORM next to Playwright

CHROMIUM = os.environ.get("KEPU_CHROMIUM", "/usr/bin/chromium")


@pytest.fixture(scope="session")
def django_db_setup(django_db_setup, django_db_blocker):
    """The scale-out runs' Redis and standby (kepu.core.testing.scale_out); nothing otherwise."""
    scale_out.after_db_setup(django_db_blocker)


@pytest.fixture(autouse=True)
def _scale_out_state():
    scale_out.before_test()


@pytest.fixture(autouse=True)
def _clean_outbox():
    """Every test starts with empty SMS and WeChat outboxes (the locmem backends of the test settings)."""
    from kepu.core.messaging import LocmemSmsBackend
    from kepu.notifications.channels import LocmemWeChatBackend

    LocmemSmsBackend.outbox.clear()
    LocmemWeChatBackend.outbox.clear()
    yield
    LocmemSmsBackend.outbox.clear()
    LocmemWeChatBackend.outbox.clear()


@pytest.fixture(autouse=True)
def _empty_cache():
    """Every test starts with an empty cache: the pages that keep figures for minutes (the leaders' page, the plans'
    progress) key them by place and year, which the next test's factories may make again with other records."""
    from django.core.cache import caches

    for alias in caches:
        caches[alias].clear()


@pytest.fixture(autouse=True)
def _reset_axes(db):
    from axes.models import AccessAttempt

    AccessAttempt.objects.all().delete()


@pytest.fixture(autouse=True)
def _unlock_audit_for_flush():
    """Let the flush that ends a transactional test empty the append-only tables on SQLite.

    Every test starts with them locked; a transactional test unlocks them just before its flush
    (kepu.core.dbguard: a test-only switch, which the running app does not have).
    """
    from kepu.core.dbguard import set_flush_allowed

    set_flush_allowed(False)
    yield
    set_flush_allowed(True)  # a rolled-back test deletes nothing; a transactional one is flushed next


@pytest.fixture
def world(db):
    """Two districts with streets, communities, offices, units, teams and one person per role."""
    from kepu.accounts.tests.factories import build_world

    return build_world()


def actor_for(membership) -> Actor:
    return Actor(user=membership.user, membership=membership)


@pytest.fixture
def as_actor():
    return actor_for


#: The longest files of the suite (measured on PostgreSQL, 2026-12-06: seeded demos, walks, long browser
#: stories), started first. xdist hands out whole files in collection order, so a long file collected last
#: kept one worker busy alone for minutes while the other had finished.
LONG_FILES = (
    "kepu/core/tests/browser/test_walk_browser.py",
    "kepu/core/tests/test_refusals.py",
    "kepu/bases/tests/test_browser.py",
    "kepu/plans/tests/browser/test_plans_browser.py",
    "kepu/statistics/tests/browser/test_statistics_browser.py",
    "kepu/core/tests/browser/test_foundation_browser.py",
    "kepu/activities/tests/test_browser.py",
    "kepu/survey/tests/browser/test_survey_browser.py",
    "kepu/core/tests/browser/test_residents_browser.py",
    "kepu/orders/tests/browser/test_orders_browser.py",
    "kepu/resources/tests/browser/test_resources_browser.py",
    "kepu/volunteers/tests/test_browser.py",
    "kepu/core/tests/test_api_fuzz.py",
    "kepu/core/tests/test_peak_smoke.py",
    "kepu/core/tests/test_backup_restore.py",
    "kepu/core/tests/test_infrastructure.py",
    "kepu/survey/tests/test_seed.py",
    "kepu/statistics/tests/test_workflow_properties.py",
    "kepu/plans/tests/test_seed.py",
)


def _long_files_first(items) -> None:
    """The long files, then the other browser tests (Chromium and a flushed database each), then the rest."""
    rank = {path: n for n, path in enumerate(LONG_FILES)}

    def key(item):
        path = item.nodeid.split("::", 1)[0]
        if path in rank:
            return rank[path]
        return len(rank) if "browser" in item.keywords else len(rank) + 1

    items.sort(key=key)  # stable: within a group, the collection's order


def _no_serialized_rollback(items) -> None:
    """Refuse serialized rollback: on PostgreSQL it reloads content types by their first ids, which a transactional
    test's flush and post_migrate before it on the same worker gave new ids, so it failed or passed by the order the
    workers drew (CI, 2026-12-06). The `_reference_data` fixture puts back what a flush takes."""
    for item in items:
        marker = item.get_closest_marker("django_db")
        if marker and marker.kwargs.get("serialized_rollback"):
            raise pytest.UsageError(f"{item.nodeid}: serialized_rollback is not used here; see conftest.py")


# --- Browser tests -----------------------------------------------------------------
def pytest_collection_modifyitems(config, items):
    from django.db import connection

    _long_files_first(items)
    scale_out.modify_items(items)
    _no_serialized_rollback(items)

    if connection.vendor != "postgresql":
        skip_pg = pytest.mark.skip(reason="needs PostgreSQL (row locks under real concurrency); CI runs it there")
        for item in items:
            if "postgres" in item.keywords:
                item.add_marker(skip_pg)
    if shutil.which(CHROMIUM) or os.path.exists(CHROMIUM):
        return
    if os.environ.get("KEPU_REQUIRE_BROWSER") == "1":
        raise pytest.UsageError(f"Chromium not found at {CHROMIUM}; CI must run the browser tests.")
    skip = pytest.mark.skip(reason=f"Chromium not found at {CHROMIUM} (install Debian's chromium to run)")
    for item in items:
        if "browser" in item.keywords:
            item.add_marker(skip)


@pytest.fixture(scope="session")
def browser_type_launch_args(browser_type_launch_args):
    return {
        **browser_type_launch_args,
        "executable_path": CHROMIUM,
        "headless": True,
        "args": [
            "--headless",
            "--no-sandbox",
            "--disable-gpu",
            "--disable-background-networking",
            "--disable-component-update",
            "--disable-sync",
            "--no-first-run",
            "--disable-quic",
        ],
    }


@pytest.fixture(autouse=True)
def _reference_data(_reset_axes):
    from kepu.core.testing.reference import restore_reference_data

    restore_reference_data()
