"""Against a real streaming standby (KEPU_REPLICA_URL; .ci/scale_out starts one): the marked selectors read there,
the rest and read-after-write stay on the primary. The router's rules on any database: test_dbrouter.py."""

import time

import pytest
from django.db import connections
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from kepu.activities import selectors
from kepu.activities.tests.factories import published_activity
from kepu.core import dbrouter
from kepu.core.testing import scale_out

pytestmark = pytest.mark.skipif(not scale_out.REPLICA_MODE, reason="needs a standby (KEPU_REPLICA_URL; .ci/scale_out)")


def standby_queries(fn):
    with CaptureQueriesContext(connections[dbrouter.REPLICA]) as on_standby:
        with CaptureQueriesContext(connections["default"]) as on_primary:
            result = fn()
    return result, len(on_standby), len(on_primary)


def test_the_standby_is_a_standby_of_this_database():
    with connections[dbrouter.REPLICA].cursor() as cursor:
        cursor.execute("SELECT pg_is_in_recovery(), current_database()")
        assert cursor.fetchone() == (True, connections["default"].settings_dict["NAME"])


def test_the_public_calendar_reads_the_standby_and_sees_what_the_primary_committed(world):
    published_activity(world.a.unit_staff, title="站点副本讲座")
    titles, standby, _ = standby_queries(lambda: [a.title for a in selectors.public_activities()])
    assert "站点副本讲座" in titles and standby >= 1


def test_a_page_reads_the_standby_unless_the_browser_wrote_a_moment_ago(world, client):
    published_activity(world.a.unit_staff, title="站点副本讲座")
    response, standby, _ = standby_queries(lambda: client.get(reverse("activities:calendar")))
    assert "站点副本讲座" in response.content.decode() and standby >= 1
    client.cookies[dbrouter.PIN_COOKIE] = f"{time.time() + 5:.0f}"
    response, standby, primary = standby_queries(lambda: client.get(reverse("activities:calendar")))
    assert "站点副本讲座" in response.content.decode() and standby == 0 and primary >= 1


def test_inside_a_service_s_transaction_the_same_selector_reads_the_primary(world):
    from django.db import transaction

    def in_a_transaction():
        with transaction.atomic():
            published_activity(world.a.unit_staff, title="刚写的")
            return [a.title for a in selectors.public_activities()]

    titles, standby, _ = standby_queries(in_a_transaction)
    assert "刚写的" in titles and standby == 0
