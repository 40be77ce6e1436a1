"""The workflow's steps with this app's hooks; photos of a delivery; contact details."""

from __future__ import annotations

from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from kepu.core.actor import Actor
from kepu.core.audit import log_action
from kepu.core.permissions import require
from kepu.core.roles import Role
from kepu.core.workflow import Step
from kepu.orders import photos as order_photos
from kepu.orders import rollup, workflow
from kepu.orders.calendar import add_working_days, deadline_for, rating_deadline
from kepu.orders.models import Order, OrderEvent, OrderPhoto, OrderVolunteer
from kepu.orders.permissions import OrderAction
from kepu.orders.photos import check as photos_checked
from kepu.orders.services._common import OrderError, S, _resident, _staff, _tell, dispatcher_staff
from kepu.orders.signals import order_delivered
from kepu.orgs.choices import OrgKind
from kepu.orgs.selectors import organizations_of_kind


# --- The workflow -------------------------------------------------------------------------
# --- The workflow's steps -------------------------------------------------------------------
def _before(step: Step) -> None:
    step.memo["counted"] = rollup.snapshot(step.obj)


def _settle(step: Step) -> None:
    """The deadline of the step the order now waits for, and a clean slate for escalation."""
    order, now, to_status = step.obj, step.now, step.to_state
    step.put("overdue", False)
    step.put("escalation_level", 0)
    name = step.transition.name
    restarts = to_status != step.from_state or name in ("redispatch", "decline")
    deadline = workflow.STEP_ON_ENTRY.get(to_status) if restarts else None
    if to_status == S.SCHEDULED:
        step.put("due_at", add_working_days(order.scheduled_for, 1, order.district_id))
    elif to_status == S.DELIVERED:
        step.put("due_at", rating_deadline(district_id=order.district_id, delivered_at=now))
    elif deadline is not None:
        step.put(
            "due_at",
            order.claim_due_at
            if to_status == S.DISPATCHED
            else deadline_for(deadline, district_id=order.district_id, start=now),
        )
    elif to_status not in workflow.OPEN_STATES:
        step.put("due_at", None)


def _after(step: Step) -> None:
    order, actor, t = step.obj, step.actor, step.transition
    volunteers = step.data.get("volunteers") or [] if t.name == "deliver" else []
    for user_id, hours in volunteers:
        OrderVolunteer.objects.update_or_create(order=order, volunteer_id=user_id, defaults={"hours": hours})
    if step.data.get("photos"):
        step.event["photos"] = len(order_photos.store(order, step.data["photos"], actor.user))
    OrderEvent.objects.create(
        order=order,
        action=t.name,
        from_status=step.from_state,
        to_status=step.to_state,
        actor=None if actor.is_system else actor.user,
        actor_name=_("System") if actor.is_system else actor.user.get_display_name()[:100],
        actor_org=(actor.organization.display_name if actor.organization else "")[:100],
        reason=step.reason
        if t.needs_reason
        else (step.reason or _("Not rated within the rating window.") if t.system else step.reason),
        data={k: v for k, v in step.event.items() if k != "reason"},
    )
    if not actor.is_system:
        _notify_transition(order, t.name, step.reason)
    # Last, so that the roll-up rows (shared by every order of a community and day) are locked
    # for as short a time as possible before the commit.
    rollup.record(step.memo["counted"], order)
    if t.name == "deliver":
        attendance = dict(order.attendance)
        transaction.on_commit(
            lambda: order_delivered.send(sender=Order, order=order, attendance=attendance, volunteers=volunteers)
        )


def order_transition(
    *,
    actor: Actor,
    order: Order | int,
    action: str,
    reason: str = "",
    data: dict | None = None,
    files=None,
    prefixed: bool = False,
    **fields,
) -> Order:
    """Carry out one step of the workflow on ``order`` as ``actor`` (see ``workflow.ORDER``).

    ``data`` is the step's input as posted (a page's form, ``prefixed``) or sent (the API);
    keyword ``fields`` are the same input for callers in code (``unit_id=…``, ``rating=…``).
    The order is locked first, so of many people acting on one order at once one wins and the
    others get ``already_taken`` (claim, grab, accept) or ``wrong_state``, never a half-done change.
    """
    pk = order if isinstance(order, int) else order.pk
    return workflow.ORDER.run(
        actor=actor,
        obj=Order(pk=pk),
        name=action,
        # A posted QueryDict goes through as it is (its widgets read lists from it); code passes keywords.
        data=data if not fields else {**dict((data or {}).items()), **fields},
        files=files,
        reason=reason,
        prefixed=prefixed,
        first_comes=action in workflow.FIRST_COMES,
        before=_before,
        settle=_settle,
        after=_after,
    )


def _notify_transition(order: Order, action: str, reason: str) -> None:
    n, title = order.number, order.title
    args = {"number": n, "title": title, "reason": reason}
    if action in ("dispatch", "redispatch"):
        _tell(
            _staff([order.unit_id], [Role.UNIT_STAFF]),
            order,
            "kepu.orders.dispatched",
            _("Order %(number)s was dispatched to you: %(title)s") % args,
        )
    elif action == "hand_back":
        _tell(
            dispatcher_staff(order),
            order,
            "kepu.orders.handed_back",
            _("Order %(number)s was handed back: %(reason)s") % args,
        )
    elif action == "reject":
        _tell(
            _resident(order),
            order,
            "kepu.orders.rejected",
            _("Your order %(number)s could not be taken: %(reason)s") % args,
            urgent=True,
        )
    elif action == "claim":
        _tell(
            _resident(order),
            order,
            "kepu.orders.claimed",
            _("Your order %(number)s has been taken on by %(unit)s.") % {**args, "unit": order.unit.display_name},
        )
    elif action == "pass_on":
        people = _staff([order.provider_id], [Role.VOLUNTEER_ORG_STAFF]) if order.provider_id else [order.expert]
        _tell(people, order, "kepu.orders.passed_on", _("Order %(number)s was passed to you: %(title)s") % args)
    elif action == "post_to_pool":
        orgs = organizations_of_kind(OrgKind.VOLUNTEER_ORG, place_id=order.district_id).values_list("pk", flat=True)
        _tell(
            _staff(list(orgs), [Role.VOLUNTEER_ORG_STAFF]),
            order,
            "kepu.orders.pooled",
            _("Order %(number)s is in the pool, first come first served: %(title)s") % args,
        )
    elif action in ("accept", "grab"):
        _tell(
            _staff([order.unit_id], [Role.UNIT_STAFF]) + _resident(order),
            order,
            "kepu.orders.accepted",
            _("Order %(number)s has a team to deliver it.") % args,
        )
    elif action == "decline":
        _tell(
            _staff([order.unit_id], [Role.UNIT_STAFF]),
            order,
            "kepu.orders.declined",
            _("Order %(number)s was declined: %(reason)s") % args,
        )
    elif action == "schedule":
        when = timezone.localtime(order.scheduled_for).strftime("%Y-%m-%d %H:%M")
        _tell(
            _resident(order) + dispatcher_staff(order),
            order,
            "kepu.orders.scheduled",
            _("Order %(number)s is scheduled for %(when)s at %(place)s.")
            % {**args, "when": when, "place": order.scheduled_place},
            urgent=True,
        )
    elif action == "deliver":
        _tell(
            _resident(order),
            order,
            "kepu.orders.delivered",
            _("Order %(number)s was delivered. Please rate it.") % args,
            urgent=True,
        )
    elif action == "cancel":
        people = dispatcher_staff(order) + _staff([order.unit_id], [Role.UNIT_STAFF])
        if order.provider_id:
            people += _staff([order.provider_id], [Role.VOLUNTEER_ORG_STAFF])
        _tell(people, order, "kepu.orders.cancelled", _("Order %(number)s was cancelled: %(reason)s") % args)


# --- Photos of a delivery ------------------------------------------------------------------
@transaction.atomic
def order_add_photos(*, actor: Actor, order: Order | int, photos) -> list[OrderPhoto]:
    """The provider adds photos of a delivered service afterwards (while it is delivered or rated)."""
    pk = order if isinstance(order, int) else order.pk
    order = Order.objects.select_for_update().get(pk=pk)
    require(actor, OrderAction.ADD_PHOTOS, order)
    checked = photos_checked(photos, already=order.photos.count())
    if not checked:
        raise OrderError(_("Choose at least one photo."), code="photos_required")
    saved = order_photos.store(order, checked, actor.user)
    OrderEvent.objects.create(
        order=order,
        action="add_photos",
        from_status=order.status,
        to_status=order.status,
        actor=actor.user,
        actor_name=actor.user.get_display_name()[:100],
        actor_org=(actor.organization.display_name if actor.organization else "")[:100],
        data={"photos": len(saved)},
    )
    log_action(
        actor,
        "kepu.orders.photos_added",
        order,
        place=order.community or order.street,
        data={"photos": [p.pk for p in saved]},
    )
    return saved


# --- Contact details -----------------------------------------------------------------------
def order_reveal_contact(*, actor: Actor, order: Order) -> str:
    """Show the full contact phone to someone who must call; always audited."""
    require(actor, OrderAction.VIEW_CONTACT, order)
    log_action(
        actor,
        "kepu.orders.contact_viewed",
        order,
        place=order.community or order.street,
        data={"field": "contact_phone"},
    )
    return order.contact_phone
