"""Concurrency: the same service credited from two places at once is credited once (PostgreSQL only)."""

import threading

import pytest
from django.db import connection, connections
from django.utils import timezone

from kepu.volunteers import services
from kepu.volunteers.models import HoursBalance, HoursEntry
from kepu.volunteers.tests.factories import member_volunteer

pytestmark = [pytest.mark.postgres, pytest.mark.django_db(transaction=True)]


@pytest.fixture(autouse=True)
def _postgres_only():
    if connection.vendor != "postgresql":
        pytest.skip("row locks and concurrent transactions need PostgreSQL; SQLite serializes writers")


def test_two_signals_for_the_same_order_at_once_credit_once(world):
    _actor, v = member_volunteer(world.a.team, world.a.team_staff)
    barrier = threading.Barrier(4)
    results = []

    def credit(i):
        try:
            barrier.wait()
            _entry, created = services.credit_hours(
                volunteer=v,
                organization=world.a.team,
                minutes=90,
                source="order",
                key=("order", 1, v.pk),
                served_on=timezone.localdate(),
            )
            results.append(created)
        finally:
            connections.close_all()

    threads = [threading.Thread(target=credit, args=(i,)) for i in range(4)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert sorted(results) == [False, False, False, True]
    assert HoursEntry.objects.count() == 1
    assert HoursBalance.objects.get(volunteer=v).minutes == 90


def test_concurrent_credits_for_one_volunteer_all_count(world):
    _actor, v = member_volunteer(world.a.team, world.a.team_staff)
    barrier = threading.Barrier(5)

    def credit(i):
        try:
            barrier.wait()
            services.credit_hours(
                volunteer=v,
                organization=world.a.team,
                minutes=10 + i,
                source="activity",
                key=("activity", i, v.pk),
                served_on=timezone.localdate(),
            )
        finally:
            connections.close_all()

    threads = [threading.Thread(target=credit, args=(i,)) for i in range(5)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert HoursBalance.objects.get(volunteer=v).minutes == sum(10 + i for i in range(5))
