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
