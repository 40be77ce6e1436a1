"""Deadlines and escalation; unrated orders reminded, then closed by the system."""

from __future__ import annotations

from datetime import datetime, timedelta

from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from kepu.core import clock
from kepu.core.actor import SYSTEM
from kepu.core.audit import log_action
from kepu.core.errors import NotAllowed
from kepu.core.roles import Role
from kepu.orders import rollup, workflow
from kepu.orders.calendar import add_working_days
from kepu.orders.models import Order, OrderEvent
from kepu.orders.services._common import S, _office_ids, _staff, _tell, dispatcher_staff
from kepu.orders.services.transitions import order_transition
from kepu.orders.workflow import WrongState


# --- Deadlines and escalation --------------------------------------------------------------
def _responsible(order: Order) -> list:
    if order.status == S.SUBMITTED:
        return dispatcher_staff(order)
    if order.status in (S.DISPATCHED, S.CLAIMED) and not (order.provider_id or order.expert_id):
        return _staff([order.unit_id], [Role.UNIT_STAFF])
    if order.provider_id:
        return _staff([order.provider_id], [Role.VOLUNTEER_ORG_STAFF])
    return [order.expert] if order.expert_id else []


@transaction.atomic
def order_escalate(*, order: Order, now: datetime | None = None) -> Order | None:
    """Mark an order whose step is late as overdue and raise it one level (community → street → district).

    The next deadline is one more working day away, so an order that stays late climbs one
    level a day until the district office has it. Returns the order, or None if it was not late.
    """
    now = now or clock.now()
    order = Order.objects.select_for_update().get(pk=order.pk)
    if order.status not in workflow.OPEN_STATES or order.due_at is None or order.due_at >= now:
        return None
    counted = rollup.snapshot(order)
    # 1 = the street office has it, 2 = the district office; an order without a community
    # is already the street's, so it goes straight to the district.
    level = min(order.escalation_level + 1, 2) if order.community_id else 2
    office = "street" if level == 1 else "district"
    role = Role.STREET_STAFF if level == 1 else Role.DISTRICT_ADMIN
    offices = _office_ids(order)
    order.overdue = True
    order.escalation_level = level
    order.due_at = add_working_days(now, 1, order.district_id)
    order.save(update_fields=["overdue", "escalation_level", "due_at", "updated_at"])
    OrderEvent.objects.create(
        order=order,
        action="escalate",
        from_status=order.status,
        to_status=order.status,
        actor_name=_("System"),
        reason=_("The deadline of this step has passed."),
        data={"level": office},
    )
    log_action(None, "kepu.orders.escalated", order, place=order.community or order.street, data={"level": office})
    args = {"number": order.number, "title": order.title}
    _tell(
        _responsible(order),
        order,
        "kepu.orders.overdue",
        _("Order %(number)s is overdue: please act on it today.") % args,
        urgent=True,
    )
    _tell(
        _staff([offices[office]], [role]),
        order,
        "kepu.orders.escalated",
        _("Order %(number)s is overdue and was escalated to you: %(title)s") % args,
        urgent=True,
    )
    rollup.record(counted, order)
    return order


def escalate_overdue(*, now: datetime | None = None, limit: int = 5000) -> int:
    """Escalate every open order whose step deadline has passed; return how many."""
    now = now or clock.now()
    pks = list(
        Order.objects.filter(status__in=workflow.OPEN_STATES, due_at__lt=now)
        .order_by("due_at")
        .values_list("pk", flat=True)[:limit]
    )
    done = 0
    for pk in pks:
        if order_escalate(order=Order(pk=pk), now=now) is not None:
            done += 1
    return done


# --- Unrated orders ------------------------------------------------------------------------
#: How long before an unrated order closes itself its resident is reminded (at most half the window).
REMIND_BEFORE = timedelta(days=2)


def _owner_people(order: Order) -> list:
    """Who may rate: the resident, or the staff member who ordered for a resident without an account."""
    if order.resident_id:
        return [order.resident]
    return [order.placed_by] if order.placed_by_id else []


def _system_event(order: Order, action: str, from_status: str, reason: str = "", data=None) -> None:
    OrderEvent.objects.create(
        order=order,
        action=action,
        from_status=from_status,
        to_status=order.status,
        actor_name=_("System"),
        reason=reason,
        data=data or {},
    )


def _reminder_due(order: Order, now: datetime) -> bool:
    window = order.due_at - (order.delivered_at or order.due_at)
    return now >= order.due_at - min(REMIND_BEFORE, window / 2)


@transaction.atomic
def order_remind_to_rate(*, order: Order, now: datetime | None = None) -> bool:
    """Tell whoever may rate a delivered order that it will close itself soon (once per order)."""
    now = now or clock.now()
    order = Order.objects.select_for_update().get(pk=order.pk)
    if (
        order.status != S.DELIVERED
        or order.rate_reminded_at is not None
        or order.due_at is None
        or order.due_at <= now
        or not _reminder_due(order, now)
    ):
        return False
    order.rate_reminded_at = now
    order.save(update_fields=["rate_reminded_at", "updated_at"])
    when = timezone.localtime(order.due_at).strftime("%Y-%m-%d")
    _system_event(order, "remind_rate", order.status, data={"closes_on": when})
    log_action(
        None, "kepu.orders.rate_reminded", order, place=order.community or order.street, data={"closes_on": when}
    )
    _tell(
        _owner_people(order),
        order,
        "kepu.orders.rate_reminder",
        _("Please rate order %(number)s (%(title)s): without a rating it closes itself on %(date)s.")
        % {"number": order.number, "title": order.title, "date": when},
        urgent=True,
    )
    return True


def order_close_unrated(*, order: Order, now: datetime | None = None) -> Order | None:
    """Close a delivered order whose rating window has passed (the system's ``close_unrated`` transition).

    It stays completed in the three rates and leaves the satisfaction rate alone (it has no rating).
    Returns the order, or None when it was rated meanwhile or is not due yet.
    """
    with clock.frozen_at(now or clock.now()):
        try:
            return order_transition(actor=SYSTEM, order=order, action="close_unrated")
        except (WrongState, NotAllowed):
            return None


def close_unrated(*, now: datetime | None = None, limit: int = 5000) -> tuple[int, int]:
    """Remind the residents of orders about to close unrated, close those past their window;
    return (reminded, closed)."""
    now = now or clock.now()
    delivered = Order.objects.filter(status=S.DELIVERED).order_by("due_at")
    reminded = closed = 0
    for pk in delivered.filter(
        due_at__gt=now, due_at__lte=now + REMIND_BEFORE, rate_reminded_at__isnull=True
    ).values_list("pk", flat=True)[:limit]:
        reminded += order_remind_to_rate(order=Order(pk=pk), now=now)
    for pk in delivered.filter(due_at__lte=now).values_list("pk", flat=True)[:limit]:
        closed += order_close_unrated(order=Order(pk=pk), now=now) is not None
    return reminded, closed
