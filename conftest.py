"""Fixtures shared by every app's tests."""

import os
import shutil

import pytest

from kepu.core.actor import Actor

os.environ.setdefault("DJANGO_ALLOW_ASYNC_UNSAFE", "true")  # live_server + ORM next to Playwright

CHROMIUM = os.environ.get("KEPU_CHROMIUM", "/usr/bin/chromium")


@pytest.fixture(autouse=True)
def _clean_outbox():
    from kepu.core.messaging import LocmemSmsBackend

    LocmemSmsBackend.outbox.clear()
    yield
    LocmemSmsBackend.outbox.clear()


@pytest.fixture(autouse=True)
def _reset_axes(db):
    from axes.models import AccessAttempt

    AccessAttempt.objects.all().delete()


@pytest.fixture(autouse=True)
def _unlock_audit_for_flush(request):
    """Let the flush that ends a transactional test empty the append-only trail on SQLite.

    The guard table is outside Django's models, so flush leaves it alone: every test locks
    the trail at its start, and a transactional test unlocks it just before its flush.
    """
    uses_db = request.node.get_closest_marker("django_db") or {"db", "transactional_db", "live_server"} & set(
        request.fixturenames
    )
    from django.db import connection

    if not uses_db or connection.vendor != "sqlite":
        yield
        return
    request.getfixturevalue("db") if "transactional_db" not in request.fixturenames else None
    with connection.cursor() as cursor:
        cursor.execute("DELETE FROM core_auditunlock")
    yield
    if "transactional_db" in request.fixturenames or "live_server" in request.fixturenames:
        with connection.cursor() as cursor:
            cursor.execute("INSERT INTO core_auditunlock (id) VALUES (1)")


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
            "--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking",
            "--disable-component-update", "--disable-sync", "--no-first-run", "--disable-quic",
        ],
    }
