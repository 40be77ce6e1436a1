"""Plan targets can count completed orders."""

from decimal import Decimal

import pytest

from kepu.orders.tests.factories import advance, place_order
from kepu.plans.measures import compute_measure

pytestmark = pytest.mark.django_db


def test_completed_orders_count_in_their_place_and_not_elsewhere(oworld):
    a = oworld.a
    assert compute_measure("orders.completed", {"place": a.place.code}) == Decimal(0)
    advance(place_order(a.resident), a, "deliver")
    advance(place_order(a.resident), a, "claim")  # not delivered yet: does not count
    assert compute_measure("orders.completed", {"place": a.place.code}) == Decimal(1)
    assert compute_measure("orders.completed", {"place": oworld.b.place.code}) == Decimal(0)
    assert compute_measure("orders.completed", {"place": a.place.code, "organization": a.unit.pk}) == Decimal(1)
    assert compute_measure("orders.completed", {"place": a.place.code, "year": 1999}) == Decimal(0)
