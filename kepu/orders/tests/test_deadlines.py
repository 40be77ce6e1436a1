"""Working days, step deadlines per district, and the escalation of late orders."""

from datetime import date, datetime, timedelta

import pytest
from django.utils import timezone

from kepu.core import clock
from kepu.core.messaging import LocmemSmsBackend
from kepu.notifications.models import Notification
from kepu.orders import services
from kepu.orders.calendar import add_working_days
from kepu.orders.models import Holiday, Order, OrderEvent, StepDeadline
from kepu.orders.tasks import escalate_overdue_orders
from kepu.orders.tests.factories import place_order

pytestmark = pytest.mark.django_db


def at(y, m, d, h=10):
    return timezone.make_aware(datetime(y, m, d, h))


def test_working_days_skip_weekends_and_holidays_and_count_make_up_days(oworld):
    district = oworld.a.place
    friday = at(2026, 9, 25)
    assert timezone.localtime(add_working_days(friday, 1, district.pk)).date() == date(2026, 9, 28)  # Monday
    Holiday.objects.create(district=None, date=date(2026, 9, 28), name="city holiday")
    assert timezone.localtime(add_working_days(friday, 1, district.pk)).date() == date(2026, 9, 29)
    Holiday.objects.create(district=district, date=date(2026, 9, 26), name="调休", is_workday=True)
    assert timezone.localtime(add_working_days(friday, 1, district.pk)).date() == date(2026, 9, 26)
    # another district's calendar does not apply
    assert timezone.localtime(add_working_days(friday, 1, oworld.b.place.pk)).date() == date(2026, 9, 29)


def test_step_deadlines_are_set_per_district(oworld):
    StepDeadline.objects.create(district=oworld.a.place, step="dispatch", working_days=5)
    a_order = place_order(oworld.a.resident)
    b_order = place_order(oworld.b.resident)
    assert a_order.due_at > b_order.due_at + timedelta(days=3)


def test_late_orders_are_marked_and_climb_one_level_a_time(oworld, django_capture_on_commit_callbacks):
    a = oworld.a
    order = place_order(a.resident)
    late = order.due_at + timedelta(hours=1)  # a working day later, nobody has dispatched it
    with clock.frozen_at(late):
        fresh = place_order(a.resident)
        with django_capture_on_commit_callbacks(execute=True):
            assert escalate_overdue_orders.enqueue().return_value == 1
    order.refresh_from_db()
    assert order.overdue and order.escalation_level == 1 and order.due_at > late
    assert Notification.objects.filter(recipient=a.street_staff.user, kind="kepu.orders.escalated").exists()
    assert Notification.objects.filter(recipient=a.community_staff.user, kind="kepu.orders.overdue").exists()
    assert any(m.to == a.street_staff.user.phone for m in LocmemSmsBackend.outbox)
    assert not Order.objects.get(pk=fresh.pk).overdue
    assert OrderEvent.objects.filter(order=order, action="escalate").count() == 1
    # still late the next day: up to the district office, and no further
    services.escalate_overdue(now=order.due_at + timedelta(minutes=1))
    order.refresh_from_db()
    assert order.escalation_level == 2
    assert Notification.objects.filter(recipient=a.admin.user, kind="kepu.orders.escalated").exists()
    services.escalate_overdue(now=order.due_at + timedelta(minutes=1))
    assert Order.objects.get(pk=order.pk).escalation_level == 2
    # taking the step clears the flag
    services.order_transition(actor=a.community_staff, order=order, action="dispatch", unit_id=a.unit.pk)
    order.refresh_from_db()
    assert not order.overdue and order.escalation_level == 0


def test_a_late_claim_is_the_units_and_a_street_order_goes_to_the_district(oworld):
    a = oworld.a
    order = place_order(a.street_staff, place=a.streets[0], contact_name="孙", contact_phone="13712345678")
    with clock.frozen_at(order.due_at + timedelta(hours=1)):
        services.escalate_overdue()
    assert Order.objects.get(pk=order.pk).escalation_level == 2
    assert Notification.objects.filter(recipient=a.admin.user, kind="kepu.orders.escalated").exists()


def test_closed_orders_are_never_escalated(oworld):
    from kepu.orders.tests.factories import advance

    order = advance(place_order(oworld.a.resident), oworld.a, "close")
    with clock.frozen_at(timezone.now() + timedelta(days=60)):
        assert services.escalate_overdue() == 0
    assert not Order.objects.get(pk=order.pk).overdue


def test_the_escalation_task_is_periodic():
    from kepu.core.scheduler import periodic_tasks

    assert any(p.task is escalate_overdue_orders for p in periodic_tasks())
