"""A delivered service order counts once in the activity figures, from what ``order_delivered`` promises."""

from datetime import date
from types import SimpleNamespace

import pytest
from django.utils import timezone

from kepu.activities.models import DeliveredService
from kepu.core import clock
from kepu.orders.signals import order_delivered

pytestmark = pytest.mark.django_db


def test_an_order_with_only_the_documented_attributes_is_counted_once(world):
    community = world.a.communities[0]
    when = clock.now()
    # Exactly the attributes the signal's docstring names: a receiver reaching for more fails here.
    order = SimpleNamespace(
        pk=42,
        district=world.a.place,
        place_path=community.path,
        kind="health_talk",
        topic="health",
        delivered_at=when,
        scheduled_for=when,
        provider=world.a.team,
        expert=None,
    )
    for _ in range(2):
        order_delivered.send(sender=None, order=order, attendance={"elderly": 25}, volunteers=[])
    row = DeliveredService.objects.get(order_id=42)
    assert (row.place, row.place_path, row.district_code, row.organization, row.delivered_at, row.attendance) == (
        community,
        community.path,
        "110115",
        world.a.team,
        when,
        {"elderly": 25},
    )


def test_an_order_delivered_through_the_orders_app_shows_in_the_figures(world, django_capture_on_commit_callbacks):
    from kepu.activities import selectors
    from kepu.orders.tests.factories import add_order_parties, advance, place_order

    add_order_parties(world)
    a = world.a
    with django_capture_on_commit_callbacks(execute=True):
        order = advance(place_order(a.resident, place=a.communities[0]), a, "deliver")
    row = DeliveredService.objects.get(order_id=order.pk)
    assert (row.place, row.organization, row.attendance) == (a.communities[0], a.team, {"elderly": 25, "youth": 3})
    year = timezone.localdate().year
    span = {"date_from": date(year - 1, 1, 1), "date_to": date(year + 1, 12, 31)}
    figures = selectors.figures(actor=a.admin, **span)
    assert (figures.services, figures.person_times) == (1, 28)
    assert selectors.figures(actor=world.b.admin, **span).services == 0
