"""Unrated orders close themselves after the district's rating window, after a reminder."""

from datetime import timedelta

import pytest
from django.utils import timezone

from kepu.core import clock
from kepu.core.messaging import LocmemSmsBackend
from kepu.core.models import AuditEntry
from kepu.notifications.models import Notification
from kepu.orders import selectors, services
from kepu.orders.models import Order, OrderEvent, StepDeadline
from kepu.orders.tasks import close_unrated_orders
from kepu.orders.tests.factories import advance, place_order

pytestmark = pytest.mark.django_db


def _delivered(d):
    order = advance(place_order(d.resident), d, "deliver")
    return Order.objects.get(pk=order.pk)


def test_a_delivered_order_is_reminded_then_closes_itself_after_seven_days(oworld, django_capture_on_commit_callbacks):
    a = oworld.a
    order = _delivered(a)
    delivered_day = timezone.localtime(order.delivered_at).date()
    assert timezone.localtime(order.due_at).date() == delivered_day + timedelta(days=7)

    # Three days later: nothing yet.
    assert services.close_unrated(now=order.delivered_at + timedelta(days=3)) == (0, 0)
    # Within two days of the end: one reminder, by inbox and SMS, and only one.
    soon = order.due_at - timedelta(days=1)
    with django_capture_on_commit_callbacks(execute=True):
        assert services.close_unrated(now=soon) == (1, 0)
    assert services.close_unrated(now=soon + timedelta(hours=2)) == (0, 0)
    note = Notification.objects.get(recipient=a.resident.user, kind="kepu.orders.rate_reminder")
    assert order.number in note.title and f"{timezone.localtime(order.due_at):%Y-%m-%d}" in note.title
    assert any(m.to == a.resident.user.phone for m in LocmemSmsBackend.outbox)
    assert OrderEvent.objects.filter(order=order, action="remind_rate").count() == 1

    # After the window: closed by the system, with an event and an audit entry.
    assert services.close_unrated(now=order.due_at + timedelta(minutes=1)) == (0, 1)
    order.refresh_from_db()
    assert order.status == "closed" and order.rating is None and order.due_at is None
    event = OrderEvent.objects.filter(order=order).order_by("-id").first()
    assert (event.action, event.from_status, event.to_status) == ("close_unrated", "delivered", "closed")
    assert event.reason and event.actor_id is None
    assert AuditEntry.objects.filter(action="kepu.orders.close_unrated", object_id=str(order.pk)).exists()


def test_closed_unrated_counts_as_completed_but_not_in_the_satisfaction_rate(oworld):
    a = oworld.a
    rated = advance(place_order(a.resident), a, "rate")  # rated 5
    order = _delivered(a)
    services.close_unrated(now=order.due_at + timedelta(seconds=1))
    o = selectors.rate_figures(actor=a.admin)["overall"]
    assert (o["done"], o["claimed"], o["completion_rate"]) == (2, 2, 100.0)
    assert (o["rated"], o["satisfied"], o["satisfaction_rate"]) == (1, 1, 100.0)
    assert Order.objects.get(pk=rated.pk).status == "rated"


def test_a_rated_order_does_not_close_itself_and_the_window_is_per_district(oworld):
    a, b = oworld.a, oworld.b
    StepDeadline.objects.create(district=a.place, step="rate", working_days=3)
    order_a, order_b = _delivered(a), _delivered(b)
    day = timezone.localtime(order_a.delivered_at).date()
    assert timezone.localtime(order_a.due_at).date() == day + timedelta(days=3)
    assert timezone.localtime(order_b.due_at).date() == day + timedelta(days=7)
    services.order_transition(actor=b.resident, order=order_b, action="rate", rating=4)
    later = timezone.now() + timedelta(days=30)
    assert services.close_unrated(now=later) == (0, 1)
    assert Order.objects.get(pk=order_a.pk).status == "closed"
    assert Order.objects.get(pk=order_b.pk).status == "rated"


def test_nobody_can_close_an_unrated_order_by_hand(oworld, client):
    from kepu.core.errors import NotAllowed
    from kepu.orders.tests.test_scoping import login

    a = oworld.a
    order = _delivered(a)
    for actor in (a.resident, a.community_staff, a.admin, a.team_staff, oworld.city_admin):
        with pytest.raises(NotAllowed):
            services.order_transition(actor=actor, order=order, action="close_unrated")
    login(client, a.admin)
    assert (
        client.post(f"/api/v1/orders/{order.pk}/close_unrated", {}, content_type="application/json").status_code == 403
    )
    assert Order.objects.get(pk=order.pk).status == "delivered"


def test_the_periodic_task_closes_and_the_rating_window_is_set_on_the_calendar_page(oworld, client):
    from kepu.orders.tests.test_scoping import login

    a = oworld.a
    login(client, a.admin)
    page = client.get("/orders/calendar/")
    assert 'name="rate"' in page.content.decode()
    client.post("/orders/calendar/", {"rate": "10"})
    assert StepDeadline.objects.get(district=a.place, step="rate").working_days == 10
    order = _delivered(a)
    assert timezone.localtime(order.due_at).date() == timezone.localtime(order.delivered_at).date() + timedelta(days=10)
    with clock.frozen_at(order.due_at + timedelta(minutes=1)):
        assert close_unrated_orders.enqueue().return_value == [0, 1]
    assert Order.objects.get(pk=order.pk).status == "closed"
