"""Fixtures shared by every app's tests."""

import os
import shutil

import pytest

from kepu.core.actor import Actor

os.environ.setdefault("DJANGO_ALLOW_ASYNC_UNSAFE", "true")  # live_server + ORM next to Playwright

CHROMIUM = os.environ.get("KEPU_CHROMIUM", "/usr/bin/chromium")


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


# --- Browser tests -----------------------------------------------------------------
def pytest_collection_modifyitems(config, items):
    from django.db import connection

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
