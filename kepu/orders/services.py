"""Every write about orders: placing them, each step of the workflow, escalation, the menu.

Each workflow step goes through ``order_transition``, which runs ``workflow.ORDER`` (lock the
order, check the transition, validate its input, apply it, audit) with this module's hooks:
the roll-up snapshot, the next deadline, the history row, notifications and, on delivery, the
``order_delivered`` signal.
"""

from __future__ import annotations

import uuid
from datetime import date, datetime, timedelta
from typing import TYPE_CHECKING

from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from kepu.accounts.selectors import staff_of
from kepu.core import clock
from kepu.core.actor import SYSTEM, Actor
from kepu.core.audit import log_action
from kepu.core.errors import DomainError, NotAllowed
from kepu.core.permissions import require
from kepu.core.pii import normalize_phone
from kepu.core.populations import Population
from kepu.core.roles import Role
from kepu.core.workflow import Step
from kepu.notifications.services import INBOX, SMS, WECHAT, notify
from kepu.orders import photos as order_photos
from kepu.orders import rollup, workflow
from kepu.orders.calendar import add_working_days, deadline_for, rating_deadline
from kepu.orders.models import (
    Order,
    OrderEvent,
    OrderPhoto,
    OrderStatus,
    OrderVolunteer,
    ServiceItem,
    ServiceKind,
    Topic,
)
from kepu.orders.permissions import MenuAction, OrderAction
from kepu.orders.photos import check as photos_checked
from kepu.orders.signals import order_delivered
from kepu.orders.workflow import AlreadyTaken, WrongState  # noqa: F401 - the errors callers catch
from kepu.orgs.choices import OrgKind
from kepu.orgs.selectors import organizations_of_kind
from kepu.places.choices import PlaceLevel

if TYPE_CHECKING:
    from kepu.places.models import Place

S = OrderStatus


class OrderError(DomainError):
    code = "order_invalid"


# --- People to tell ---------------------------------------------------------------------
def _staff(org_ids, roles) -> list:
    return staff_of(org_ids, roles)


def _office_ids(order: Order) -> dict[str, int | None]:
    """The organizations of the community committee, the street office and the district office."""
    places = {"community": order.community_id, "street": order.street_id, "district": order.district_id}
    kinds = {"community": OrgKind.COMMUNITY, "street": OrgKind.STREET_OFFICE, "district": OrgKind.DISTRICT_OFFICE}
    out = {}
    for level, place_id in places.items():
        org = organizations_of_kind(kinds[level], place_id=place_id).order_by("pk").first() if place_id else None
        out[level] = org.pk if org else None
    return out


def dispatcher_staff(order: Order) -> list:
    offices = _office_ids(order)
    if order.community_id:
        return _staff([offices["community"]], [Role.COMMUNITY_STAFF])
    return _staff([offices["street"]], [Role.STREET_STAFF])


def _order_url(order: Order) -> str:
    from django.urls import reverse

    return reverse("orders:detail", args=[order.pk])


def _tell(people, order: Order, kind: str, title: str, body: str = "", urgent: bool = False) -> None:
    notify(
        people,
        title=title,
        body=body,
        url=_order_url(order),
        kind=kind,
        channels=(INBOX, SMS, WECHAT) if urgent else (INBOX,),
    )


def _resident(order: Order) -> list:
    return [order.resident] if order.resident_id else []


# --- Placing an order -------------------------------------------------------------------
def _clean_text(value: str, limit: int, message: str, code: str) -> str:
    value = (value or "").strip()
    if not value or len(value) > limit:
        raise OrderError(message, code=code)
    return value


def _order_number(pk: int) -> str:
    return f"{timezone.localdate():%y%m%d}{pk:07d}"


@transaction.atomic
def order_place(
    *,
    actor: Actor,
    title: str,
    kind: str,
    topic: str,
    population: str,
    place: Place,
    preferred_from: date,
    preferred_to: date,
    expected_audience: int = 20,
    description: str = "",
    address: str = "",
    service_item: ServiceItem | None = None,
    contact_name: str = "",
    contact_phone: str = "",
) -> Order:
    """A resident orders a service (点单), or office staff order for a resident who phoned or walked in.

    ``place`` is a community, or a street when the community is not known.
    """
    require(actor, OrderAction.CREATE, Order())
    if place.level not in (PlaceLevel.COMMUNITY, PlaceLevel.STREET):
        raise OrderError(_("Choose the community (or the street) where the service is wanted."), code="order_place")
    on_behalf = actor.role != Role.RESIDENT
    if on_behalf:
        require(actor, OrderAction.CREATE_FOR_OTHERS, Order(place_path=place.path))
    if service_item is not None:
        kind, topic = service_item.kind, service_item.topic
        title = title or service_item.title
    title = _clean_text(
        title, 100, _("Say in a few words what service you want (at most 100 characters)."), "order_title"
    )
    if kind not in ServiceKind.values:
        raise OrderError(_("Choose a kind of service."), code="order_kind")
    if topic not in Topic.values:
        raise OrderError(_("Choose a topic."), code="order_topic")
    if population not in Population.values:
        raise OrderError(_("Choose who the service is for."), code="order_population")
    if not 1 <= int(expected_audience) <= 10000:
        raise OrderError(_("The expected audience must be between 1 and 10,000 people."), code="order_audience")
    if preferred_to < preferred_from:
        raise OrderError(_("The end of the preferred period cannot be before its start."), code="order_window")
    if preferred_from < timezone.localdate():
        raise OrderError(_("The preferred period cannot start in the past."), code="order_window")
    if on_behalf:
        contact_name = _clean_text(contact_name, 50, _("Enter the name of the resident to contact."), "order_contact")
        resident = None
    else:
        resident = actor.user
        contact_name = (contact_name or actor.user.get_display_name()).strip()[:50]
        contact_phone = contact_phone or actor.user.phone
    if contact_phone:
        try:
            contact_phone = normalize_phone(contact_phone)
        except Exception:
            raise OrderError(_("Enter a valid mainland mobile number of 11 digits."), code="phone_invalid") from None
    elif on_behalf:
        raise OrderError(
            _("Enter the resident's phone number so that the service can be arranged."), code="phone_required"
        )
    community = place if place.level == PlaceLevel.COMMUNITY else None
    street = place.parent if community else place
    district = street.parent
    order = Order.objects.create(
        number=f"t{uuid.uuid4().hex[:18]}",
        status=S.SUBMITTED,
        service_item=service_item,
        kind=kind,
        topic=topic,
        title=title,
        description=(description or "").strip(),
        population=population,
        expected_audience=int(expected_audience),
        district=district,
        street=street,
        community=community,
        place_path=place.path,
        address=(address or "").strip()[:200],
        preferred_from=preferred_from,
        preferred_to=preferred_to,
        resident=resident,
        placed_by=actor.user,
        contact_name=contact_name,
        contact_phone=contact_phone or "",
        due_at=deadline_for(workflow.STEP_ON_ENTRY[S.SUBMITTED], district_id=district.pk),
    )
    order.number = _order_number(order.pk)
    order.save(update_fields=["number"])
    OrderEvent.objects.create(
        order=order,
        action="submit",
        from_status=S.SUBMITTED,
        to_status=S.SUBMITTED,
        actor=actor.user,
        actor_name=actor.user.get_display_name()[:100],
        actor_org=(actor.organization.display_name if actor.organization else "")[:100],
        data={"on_behalf": on_behalf},
    )
    log_action(actor, "kepu.orders.submitted", order, place=place)
    rollup.record(None, order)
    _tell(
        dispatcher_staff(order),
        order,
        "kepu.orders.submitted",
        _("New order %(number)s: %(title)s") % {"number": order.number, "title": order.title},
    )
    return order


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


# --- The service menu and the calendar ----------------------------------------------------
@transaction.atomic
def service_item_publish(
    *, actor: Actor, title: str, kind: str, topic: str, populations: list[str], description: str = ""
) -> ServiceItem:
    org = actor.organization
    item = ServiceItem(
        title=(title or "").strip(),
        kind=kind,
        topic=topic,
        populations=list(populations or []),
        description=(description or "").strip(),
        provider=org,
        district=org.place if org and org.place.level != PlaceLevel.CITY else None,
    )
    require(actor, MenuAction.PUBLISH, item)
    if not item.title or len(item.title) > 100:
        raise OrderError(_("Give the service a title (at most 100 characters)."), code="item_title")
    if kind not in ServiceKind.values or topic not in Topic.values:
        raise OrderError(_("Choose a kind of service and a topic."), code="item_kind")
    if any(p not in Population.values for p in item.populations):
        raise OrderError(_("Unknown audience group."), code="item_population")
    if item.district is None or item.district.level != PlaceLevel.DISTRICT:
        raise OrderError(_("Only organizations of a district can publish to its menu."), code="item_district")
    item.save()
    log_action(actor, "kepu.orders.menu_item_published", item, place=item.district)
    return item


@transaction.atomic
def holiday_set(*, actor: Actor, day: date, name: str, is_workday: bool = False):
    """The district office marks a day off (or a make-up working day) in its calendar."""
    from kepu.orders.models import Holiday

    if actor.role != Role.DISTRICT_ADMIN or actor.place is None:
        raise NotAllowed()
    name = _clean_text(name, 40, _("Name the day (at most 40 characters)."), "holiday_name")
    holiday, _created = Holiday.objects.update_or_create(
        district=actor.place, date=day, defaults={"name": name, "is_workday": is_workday}
    )
    log_action(
        actor,
        "kepu.orders.holiday_set",
        holiday,
        place=actor.place,
        data={"date": day.isoformat(), "workday": is_workday},
    )
    return holiday


@transaction.atomic
def step_deadline_set(*, actor: Actor, step: str, working_days: int):
    from kepu.orders.models import Step, StepDeadline

    if actor.role != Role.DISTRICT_ADMIN or actor.place is None:
        raise NotAllowed()
    if step not in Step.values or not 1 <= int(working_days) <= 30:
        raise OrderError(_("A deadline is from 1 to 30 working days."), code="deadline_invalid")
    row, _created = StepDeadline.objects.update_or_create(
        district=actor.place, step=step, defaults={"working_days": int(working_days)}
    )
    log_action(actor, "kepu.orders.deadline_set", row, place=actor.place, data={"step": step, "days": working_days})
    return row
