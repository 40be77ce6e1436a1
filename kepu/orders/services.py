"""Every write about orders: placing them, each step of the workflow, escalation, the menu.

Each workflow step goes through ``order_transition``: lock the order, check the transition
(``workflow``), apply it, record the event, start the next deadline, audit, notify, and
send signals after commit. The named functions (``order_dispatch`` …) are its typed faces.
"""

from __future__ import annotations

import uuid
from datetime import date, datetime, timedelta
from decimal import Decimal, InvalidOperation

from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from kepu.core.actor import Actor
from kepu.core.audit import log_action
from kepu.core.errors import Conflict, DomainError, NotAllowed
from kepu.core.permissions import require
from kepu.core.pii import normalize_phone
from kepu.core.populations import Population
from kepu.core.roles import Role
from kepu.notifications.services import INBOX, SMS, WECHAT, notify
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
from kepu.orders.signals import order_delivered, order_transitioned
from kepu.orgs.models import Organization, OrgKind
from kepu.places.models import Place, PlaceLevel

S = OrderStatus


class OrderError(DomainError):
    code = "order_invalid"


class AlreadyTaken(Conflict):
    code = "already_taken"

    def __init__(self, message=None, **kwargs):
        super().__init__(message or _("Someone else has already taken this order."), **kwargs)


class WrongState(Conflict):
    code = "order_state"

    def __init__(self, message=None, **kwargs):
        super().__init__(message or _("This order has moved on meanwhile. Reload the page to see where it stands."),
                         **kwargs)


# --- People to tell ---------------------------------------------------------------------
def _staff(org_ids, roles) -> list:
    from kepu.accounts.models import Membership

    ids = [i for i in org_ids if i]
    if not ids:
        return []
    return [m.user for m in Membership.objects.filter(organization_id__in=ids, role__in=roles, is_active=True)
            .select_related("user")]


def _office_ids(order: Order) -> dict[str, int | None]:
    """The organizations of the community committee, the street office and the district office."""
    places = {"community": order.community_id, "street": order.street_id, "district": order.district_id}
    kinds = {"community": OrgKind.COMMUNITY, "street": OrgKind.STREET_OFFICE, "district": OrgKind.DISTRICT_OFFICE}
    out = {}
    for level, place_id in places.items():
        org = (Organization.objects.filter(place_id=place_id, kind=kinds[level], is_active=True).order_by("pk")
               .values_list("pk", flat=True).first()) if place_id else None
        out[level] = org
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
    notify(people, title=title, body=body, url=_order_url(order), kind=kind,
           channels=(INBOX, SMS, WECHAT) if urgent else (INBOX,))


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
    *, actor: Actor, title: str, kind: str, topic: str, population: str, place: Place, preferred_from: date,
    preferred_to: date, expected_audience: int = 20, description: str = "", address: str = "",
    service_item: ServiceItem | None = None, contact_name: str = "", contact_phone: str = "",
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
    title = _clean_text(title, 100, _("Say in a few words what service you want (at most 100 characters)."),
                        "order_title")
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
        raise OrderError(_("Enter the resident's phone number so that the service can be arranged."),
                         code="phone_required")
    community = place if place.level == PlaceLevel.COMMUNITY else None
    street = place.parent if community else place
    district = street.parent
    order = Order.objects.create(
        number=f"t{uuid.uuid4().hex[:18]}", status=S.SUBMITTED, service_item=service_item,
        kind=kind, topic=topic, title=title, description=(description or "").strip(), population=population,
        expected_audience=int(expected_audience), district=district, street=street, community=community,
        place_path=place.path, address=(address or "").strip()[:200], preferred_from=preferred_from,
        preferred_to=preferred_to, resident=resident, placed_by=actor.user, contact_name=contact_name,
        contact_phone=contact_phone or "",
        due_at=deadline_for(workflow.STEP_ON_ENTRY[S.SUBMITTED], district_id=district.pk),
    )
    order.number = _order_number(order.pk)
    order.save(update_fields=["number"])
    OrderEvent.objects.create(order=order, action="submit", from_status=S.SUBMITTED, to_status=S.SUBMITTED,
                              actor=actor.user, actor_name=actor.user.get_display_name()[:100],
                              actor_org=(actor.organization.display_name if actor.organization else "")[:100],
                              data={"on_behalf": on_behalf})
    log_action(actor, "kepu.order.submitted", order, place=place)
    rollup.record(None, order)
    _tell(dispatcher_staff(order), order, "kepu.order.submitted",
          _("New order %(number)s: %(title)s") % {"number": order.number, "title": order.title})
    return order


# --- The workflow -------------------------------------------------------------------------
def _check_reason(reason: str) -> str:
    reason = (reason or "").strip()
    if len(reason) < 2:
        raise OrderError(_("Give a reason: the others will read it."), code="reason_required")
    return reason[:1000]


def _member_unit(order: Order, unit) -> Organization:
    if unit is None:
        raise OrderError(_("Choose the member unit to dispatch to."), code="unit_required")
    if isinstance(unit, int | str):
        unit = Organization.objects.filter(pk=unit).first()
    if (unit is None or unit.kind != OrgKind.MEMBER_UNIT or not unit.is_active
            or unit.place_id not in (order.district_id, order.district.parent_id)):
        raise OrderError(_("Choose a member unit of this district."), code="unit_invalid")
    return unit


def _provider(order: Order, provider, expert):
    from kepu.accounts.models import Membership

    if provider is not None:
        if isinstance(provider, int | str):
            provider = Organization.objects.filter(pk=provider).first()
        if (provider is None or provider.kind != OrgKind.VOLUNTEER_ORG or not provider.is_active
                or not order.place_path.startswith(provider.place.path)):
            raise OrderError(_("Choose a volunteer organization that serves this place."), code="provider_invalid")
        return provider, None
    if expert is not None:
        expert_id = expert if isinstance(expert, int | str) else expert.pk
        membership = Membership.objects.filter(user_id=expert_id, role=Role.EXPERT, is_active=True).select_related(
            "user", "organization__place").first()
        if membership is None or not order.place_path.startswith(membership.organization.place.path):
            raise OrderError(_("Choose an expert of this district."), code="expert_invalid")
        return None, membership.user
    raise OrderError(_("Choose a volunteer organization or an expert."), code="provider_required")


def _parse_attendance(attendance) -> dict[str, int]:
    out = {}
    for key, value in (attendance or {}).items():
        if key not in Population.values:
            raise OrderError(_("Unknown audience group."), code="attendance_invalid")
        try:
            n = int(value or 0)
        except (TypeError, ValueError):
            raise OrderError(_("Attendance must be whole numbers."), code="attendance_invalid") from None
        if n < 0 or n > 100000:
            raise OrderError(_("Attendance must be between 0 and 100,000."), code="attendance_invalid")
        if n:
            out[key] = n
    if not out:
        raise OrderError(_("Enter how many people came, by group."), code="attendance_required")
    return out


def _parse_volunteers(order: Order, volunteers) -> list[tuple[int, Decimal]]:
    """[(user_id, hours)], each a volunteer (or staff) of the organization that served."""
    from kepu.accounts.models import Membership

    out = []
    for user_id, hours in volunteers or ():
        try:
            hours = Decimal(str(hours))
        except (InvalidOperation, ValueError):
            raise OrderError(_("Hours must be a number."), code="hours_invalid") from None
        if hours <= 0 or hours > 24:
            raise OrderError(_("Hours must be more than 0 and at most 24."), code="hours_invalid")
        ok = order.provider_id and Membership.objects.filter(
            user_id=user_id, organization_id=order.provider_id, is_active=True,
            role__in=(Role.VOLUNTEER, Role.VOLUNTEER_ORG_STAFF)).exists()
        if order.expert_id and int(user_id) == order.expert_id:
            ok = True
        if not ok:
            raise OrderError(_("Only volunteers of the organization that served can be credited."),
                             code="volunteer_invalid")
        out.append((int(user_id), hours.quantize(Decimal("0.1"))))
    return out


MAX_PHOTOS, MAX_PHOTO_BYTES = 6, 5 * 1024 * 1024
#: What Pillow calls the formats a phone takes or a page shows, and the extension stored.
PHOTO_FORMATS = {"JPEG": ("jpg", "image/jpeg"), "PNG": ("png", "image/png"), "WEBP": ("webp", "image/webp")}


def _photo_format(photo) -> str | None:
    """The image format if ``photo`` really is a JPEG, PNG or WebP image (decoded, not trusted by name)."""
    from PIL import Image, UnidentifiedImageError

    try:
        photo.seek(0)
        with Image.open(photo) as image:
            fmt = image.format
            image.verify()
    except (UnidentifiedImageError, OSError, ValueError, SyntaxError, Image.DecompressionBombError):
        return None
    finally:
        photo.seek(0)
    return fmt if fmt in PHOTO_FORMATS else None


def _check_photos(photos, already: int = 0) -> list:
    """[(file, format)]; refuses the lot if any one is not a photo, too big, or one too many."""
    photos = [p for p in (photos or []) if p]
    if already + len(photos) > MAX_PHOTOS:
        raise OrderError(_("At most 6 photos per order (%(left)s more can be added).")
                         % {"left": max(0, MAX_PHOTOS - already)}, code="photos_too_many")
    out = []
    for photo in photos:
        fmt = _photo_format(photo) if photo.size <= MAX_PHOTO_BYTES else None
        if fmt is None:
            raise OrderError(_("Photos must be JPEG, PNG or WebP images of at most 5 MB."), code="photo_invalid")
        out.append((photo, fmt))
    return out


def _store_photos(order: Order, photos: list, user) -> list[OrderPhoto]:
    from django.core.files.base import File

    saved = []
    for photo, fmt in photos:
        # The name is ours, not the uploader's: nothing of it reaches a path or a page.
        name = f"{uuid.uuid4().hex}.{PHOTO_FORMATS[fmt][0]}"
        row = OrderPhoto(order=order, uploaded_by=user)
        row.image.save(name, File(photo), save=False)
        row.save()
        saved.append(row)
    return saved


def _apply(order: Order, name: str, data: dict, now: datetime) -> tuple[dict, list]:
    """Change the order's fields for transition ``name``; return (event data, fields changed)."""
    changed: list[str] = []
    event: dict = {}

    def put(field, value):
        setattr(order, field, value)
        changed.append(field)

    if name in ("dispatch", "redispatch"):
        unit = _member_unit(order, data.get("unit"))
        if name == "redispatch" and unit.pk == order.unit_id:
            raise OrderError(_("Choose a different member unit."), code="unit_same")
        event = {"unit": unit.pk, "unit_name": unit.display_name, "previous_unit": order.unit_id}
        put("unit", unit)
        put("dispatched_at", now)
        due = deadline_for(workflow.STEP_ON_ENTRY[S.DISPATCHED], district_id=order.district_id, start=now)
        put("claim_due_at", due)
    elif name == "hand_back":
        event = {"unit": order.unit_id}
        put("unit", None)
        put("claim_due_at", None)
        put("claimed_on_time", None)
        put("claimed_at", None)
    elif name == "claim":
        put("claimed_at", now)
        put("claimed_on_time", order.claim_due_at is None or now <= order.claim_due_at)
    elif name == "pass_on":
        provider, expert = _provider(order, data.get("provider"), data.get("expert"))
        put("provider", provider)
        put("expert", expert)
        event = {"provider": provider.pk if provider else None, "expert": expert.pk if expert else None,
                 "to": (provider.display_name if provider else expert.get_display_name())}
    elif name == "post_to_pool":
        put("in_pool", True)
    elif name == "grab":
        org = data["actor"].organization
        put("provider", org)
        put("in_pool", False)
        event = {"provider": org.pk, "to": org.display_name}
    elif name == "decline":
        event = {"provider": order.provider_id, "expert": order.expert_id}
        put("provider", None)
        put("expert", None)
    elif name == "schedule":
        when = data.get("scheduled_for")
        if not isinstance(when, datetime):
            raise OrderError(_("Enter the date and time of the service."), code="schedule_when")
        if timezone.is_naive(when):
            when = timezone.make_aware(when)
        if when < now:
            raise OrderError(_("The service cannot be scheduled in the past."), code="schedule_past")
        venue = _clean_text(data.get("scheduled_place", ""), 200, _("Enter where the service takes place."),
                            "schedule_place")
        people = _clean_text(data.get("scheduled_people", ""), 200, _("Enter who will serve."), "schedule_people")
        put("scheduled_for", when)
        put("scheduled_place", venue)
        put("scheduled_people", people)
        event = {"scheduled_for": when.isoformat(), "place": venue, "people": people}
    elif name == "deliver":
        attendance = _parse_attendance(data.get("attendance"))
        put("attendance", attendance)
        put("delivery_notes", (data.get("notes") or "").strip()[:2000])
        put("delivered_at", now)
        event = {"attendance": attendance}
    elif name == "rate":
        try:
            rating = int(data.get("rating"))
        except (TypeError, ValueError):
            rating = 0
        if not 1 <= rating <= 5:
            raise OrderError(_("Choose from 1 to 5 stars."), code="rating_invalid")
        put("rating", rating)
        put("rating_comment", (data.get("comment") or "").strip()[:1000])
        put("rated_at", now)
        event = {"rating": rating}
    return event, changed


#: Which transitions answer "already taken" when someone else was first.
FIRST_COMES = frozenset({"claim", "grab", "accept"})


@transaction.atomic
def order_transition(*, actor: Actor, order: Order | int, action: str, reason: str = "", **data) -> Order:
    """Carry out one step of the workflow on ``order`` as ``actor``.

    The row is locked first, so of many people acting on one order at once one wins and
    the others get ``AlreadyTaken`` (claim, grab) or ``WrongState``, never a half-done change.
    """
    t = workflow.TRANSITIONS.get(action)
    if t is None:
        raise OrderError(_("Unknown action."), code="action_unknown")
    pk = order if isinstance(order, int) else order.pk
    order = Order.objects.select_for_update().get(pk=pk)
    counted = rollup.snapshot(order)
    if not workflow.allowed(actor, order, action):
        if order.status not in t.sources or not t.when(order):
            if workflow.may_ever(actor, order, action):
                raise AlreadyTaken() if action in FIRST_COMES else WrongState()
        raise NotAllowed()
    require(actor, action, order)
    if t.needs_reason:
        reason = _check_reason(reason)
    now = timezone.now()
    from_status = order.status
    event_data, changed = _apply(order, action, {**data, "actor": actor}, now)
    to_status = t.target_for(order)
    volunteers = _parse_volunteers(order, data.get("volunteers")) if action == "deliver" else []
    photos = _check_photos(data.get("photos"), already=order.photos.count()) if action == "deliver" else []
    order.status = to_status
    order.overdue = False
    order.escalation_level = 0
    step = workflow.STEP_ON_ENTRY.get(to_status) if to_status != from_status or action in ("redispatch",
                                                                                            "decline") else None
    if to_status == S.SCHEDULED:
        order.due_at = add_working_days(order.scheduled_for, 1, order.district_id)
    elif to_status == S.DELIVERED:
        order.due_at = rating_deadline(district_id=order.district_id, delivered_at=now)
    elif step is not None:
        order.due_at = order.claim_due_at if to_status == S.DISPATCHED else deadline_for(
            step, district_id=order.district_id, start=now)
    elif to_status not in workflow.OPEN_STATES:
        order.due_at = None
    order.save(update_fields=sorted({*changed, "status", "overdue", "escalation_level", "due_at", "updated_at"}))
    for user_id, hours in volunteers:
        OrderVolunteer.objects.update_or_create(order=order, volunteer_id=user_id, defaults={"hours": hours})
    if photos:
        event_data["photos"] = len(_store_photos(order, photos, actor.user))
    OrderEvent.objects.create(
        order=order, action=action, from_status=from_status, to_status=to_status, actor=actor.user,
        actor_name=actor.user.get_display_name()[:100],
        actor_org=(actor.organization.display_name if actor.organization else "")[:100],
        reason=reason if t.needs_reason else (reason or "").strip()[:1000], data=event_data,
    )
    log_action(actor, f"kepu.order.{action}", order, place=order.community or order.street,
               data={"from": from_status, "to": to_status, **({"reason": reason} if t.needs_reason else {})})
    _notify_transition(order, action, reason)
    # Last, so that the roll-up rows (shared by every order of a community and day) are locked
    # for as short a time as possible before the commit.
    rollup.record(counted, order)
    transaction.on_commit(lambda: order_transitioned.send(
        sender=Order, order=order, action=action, from_status=from_status, to_status=to_status, actor=actor))
    if action == "deliver":
        attendance = dict(order.attendance)
        transaction.on_commit(lambda: order_delivered.send(
            sender=Order, order=order, attendance=attendance, volunteers=volunteers))
    return order


def _notify_transition(order: Order, action: str, reason: str) -> None:
    n, title = order.number, order.title
    args = {"number": n, "title": title, "reason": reason}
    if action in ("dispatch", "redispatch"):
        _tell(_staff([order.unit_id], [Role.UNIT_STAFF]), order, "kepu.order.dispatched",
              _("Order %(number)s was dispatched to you: %(title)s") % args)
    elif action == "hand_back":
        _tell(dispatcher_staff(order), order, "kepu.order.handed_back",
              _("Order %(number)s was handed back: %(reason)s") % args)
    elif action == "reject":
        _tell(_resident(order), order, "kepu.order.rejected",
              _("Your order %(number)s could not be taken: %(reason)s") % args, urgent=True)
    elif action == "claim":
        _tell(_resident(order), order, "kepu.order.claimed",
              _("Your order %(number)s has been taken on by %(unit)s.") % {**args, "unit": order.unit.display_name})
    elif action == "pass_on":
        people = _staff([order.provider_id], [Role.VOLUNTEER_ORG_STAFF]) if order.provider_id else [order.expert]
        _tell(people, order, "kepu.order.passed_on", _("Order %(number)s was passed to you: %(title)s") % args)
    elif action == "post_to_pool":
        orgs = Organization.objects.filter(kind=OrgKind.VOLUNTEER_ORG, is_active=True,
                                           place_id__in=[order.district_id]).values_list("pk", flat=True)
        _tell(_staff(list(orgs), [Role.VOLUNTEER_ORG_STAFF]), order, "kepu.order.pooled",
              _("Order %(number)s is in the pool, first come first served: %(title)s") % args)
    elif action in ("accept", "grab"):
        _tell(_staff([order.unit_id], [Role.UNIT_STAFF]) + _resident(order), order, "kepu.order.accepted",
              _("Order %(number)s has a team to deliver it.") % args)
    elif action == "decline":
        _tell(_staff([order.unit_id], [Role.UNIT_STAFF]), order, "kepu.order.declined",
              _("Order %(number)s was declined: %(reason)s") % args)
    elif action == "schedule":
        when = timezone.localtime(order.scheduled_for).strftime("%Y-%m-%d %H:%M")
        _tell(_resident(order) + dispatcher_staff(order), order, "kepu.order.scheduled",
              _("Order %(number)s is scheduled for %(when)s at %(place)s.")
              % {**args, "when": when, "place": order.scheduled_place}, urgent=True)
    elif action == "deliver":
        _tell(_resident(order), order, "kepu.order.delivered",
              _("Order %(number)s was delivered. Please rate it.") % args, urgent=True)
    elif action == "cancel":
        people = dispatcher_staff(order) + _staff([order.unit_id], [Role.UNIT_STAFF])
        if order.provider_id:
            people += _staff([order.provider_id], [Role.VOLUNTEER_ORG_STAFF])
        _tell(people, order, "kepu.order.cancelled", _("Order %(number)s was cancelled: %(reason)s") % args)


# Typed faces of order_transition, for callers that prefer them.
def order_dispatch(*, actor: Actor, order: Order, unit: Organization) -> Order:
    return order_transition(actor=actor, order=order, action="dispatch", unit=unit)


def order_claim(*, actor: Actor, order: Order) -> Order:
    return order_transition(actor=actor, order=order, action="claim")


def order_grab(*, actor: Actor, order: Order) -> Order:
    return order_transition(actor=actor, order=order, action="grab")


# --- Photos of a delivery ------------------------------------------------------------------
@transaction.atomic
def order_add_photos(*, actor: Actor, order: Order | int, photos) -> list[OrderPhoto]:
    """The provider adds photos of a delivered service afterwards (while it is delivered or rated)."""
    pk = order if isinstance(order, int) else order.pk
    order = Order.objects.select_for_update().get(pk=pk)
    require(actor, OrderAction.ADD_PHOTOS, order)
    checked = _check_photos(photos, already=order.photos.count())
    if not checked:
        raise OrderError(_("Choose at least one photo."), code="photos_required")
    saved = _store_photos(order, checked, actor.user)
    OrderEvent.objects.create(order=order, action="add_photos", from_status=order.status, to_status=order.status,
                              actor=actor.user, actor_name=actor.user.get_display_name()[:100],
                              actor_org=(actor.organization.display_name if actor.organization else "")[:100],
                              data={"photos": len(saved)})
    log_action(actor, "kepu.order.photos_added", order, place=order.community or order.street,
               data={"photos": [p.pk for p in saved]})
    return saved


# --- Contact details -----------------------------------------------------------------------
def order_reveal_contact(*, actor: Actor, order: Order) -> str:
    """Show the full contact phone to someone who must call; always audited."""
    require(actor, OrderAction.VIEW_CONTACT, order)
    log_action(actor, "kepu.order.contact_viewed", order, place=order.community or order.street,
               data={"field": "contact_phone"})
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
    now = now or timezone.now()
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
    OrderEvent.objects.create(order=order, action="escalate", from_status=order.status, to_status=order.status,
                              actor_name=_("System"), reason=_("The deadline of this step has passed."),
                              data={"level": office})
    log_action(None, "kepu.order.escalated", order, place=order.community or order.street, data={"level": office})
    args = {"number": order.number, "title": order.title}
    _tell(_responsible(order), order, "kepu.order.overdue",
          _("Order %(number)s is overdue: please act on it today.") % args, urgent=True)
    _tell(_staff([offices[office]], [role]), order, "kepu.order.escalated",
          _("Order %(number)s is overdue and was escalated to you: %(title)s") % args, urgent=True)
    rollup.record(counted, order)
    return order


def escalate_overdue(*, now: datetime | None = None, limit: int = 5000) -> int:
    """Escalate every open order whose step deadline has passed; return how many."""
    now = now or timezone.now()
    pks = list(Order.objects.filter(status__in=workflow.OPEN_STATES, due_at__lt=now).order_by("due_at")
               .values_list("pk", flat=True)[:limit])
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
    OrderEvent.objects.create(order=order, action=action, from_status=from_status, to_status=order.status,
                              actor_name=_("System"), reason=reason, data=data or {})


def _reminder_due(order: Order, now: datetime) -> bool:
    window = order.due_at - (order.delivered_at or order.due_at)
    return now >= order.due_at - min(REMIND_BEFORE, window / 2)


@transaction.atomic
def order_remind_to_rate(*, order: Order, now: datetime | None = None) -> bool:
    """Tell whoever may rate a delivered order that it will close itself soon (once per order)."""
    now = now or timezone.now()
    order = Order.objects.select_for_update().get(pk=order.pk)
    if (order.status != S.DELIVERED or order.rate_reminded_at is not None or order.due_at is None
            or order.due_at <= now or not _reminder_due(order, now)):
        return False
    order.rate_reminded_at = now
    order.save(update_fields=["rate_reminded_at", "updated_at"])
    when = timezone.localtime(order.due_at).strftime("%Y-%m-%d")
    _system_event(order, "remind_rate", order.status, data={"closes_on": when})
    log_action(None, "kepu.order.rate_reminded", order, place=order.community or order.street,
               data={"closes_on": when})
    _tell(_owner_people(order), order, "kepu.order.rate_reminder",
          _("Please rate order %(number)s (%(title)s): without a rating it closes itself on %(date)s.")
          % {"number": order.number, "title": order.title, "date": when}, urgent=True)
    return True


@transaction.atomic
def order_close_unrated(*, order: Order, now: datetime | None = None) -> Order | None:
    """Close a delivered order whose rating window has passed (the ``close_unrated`` transition).

    It stays completed in the three rates and leaves the satisfaction rate alone (it has no rating).
    Returns the order, or None when it was rated or is not due yet.
    """
    now = now or timezone.now()
    order = Order.objects.select_for_update().get(pk=order.pk)
    t = workflow.TRANSITIONS["close_unrated"]
    if order.status not in t.sources or order.due_at is None or order.due_at > now:
        return None
    counted = rollup.snapshot(order)
    from_status = order.status
    order.status = t.target
    order.due_at = None
    order.save(update_fields=["status", "due_at", "updated_at"])
    _system_event(order, t.name, from_status, reason=_("Not rated within the rating window."))
    log_action(None, "kepu.order.close_unrated", order, place=order.community or order.street,
               data={"from": from_status, "to": order.status})
    rollup.record(counted, order)
    transaction.on_commit(lambda: order_transitioned.send(
        sender=Order, order=order, action=t.name, from_status=from_status, to_status=order.status, actor=None))
    return order


def close_unrated(*, now: datetime | None = None, limit: int = 5000) -> tuple[int, int]:
    """Remind the residents of orders about to close unrated, close those past their window;
    return (reminded, closed)."""
    now = now or timezone.now()
    delivered = Order.objects.filter(status=S.DELIVERED).order_by("due_at")
    reminded = closed = 0
    for pk in delivered.filter(due_at__gt=now, due_at__lte=now + REMIND_BEFORE,
                               rate_reminded_at__isnull=True).values_list("pk", flat=True)[:limit]:
        reminded += order_remind_to_rate(order=Order(pk=pk), now=now)
    for pk in delivered.filter(due_at__lte=now).values_list("pk", flat=True)[:limit]:
        closed += order_close_unrated(order=Order(pk=pk), now=now) is not None
    return reminded, closed


# --- The service menu and the calendar ----------------------------------------------------
@transaction.atomic
def service_item_publish(*, actor: Actor, title: str, kind: str, topic: str, populations: list[str],
                         description: str = "") -> ServiceItem:
    org = actor.organization
    item = ServiceItem(title=(title or "").strip(), kind=kind, topic=topic, populations=list(populations or []),
                       description=(description or "").strip(), provider=org,
                       district=org.place if org and org.place.level != PlaceLevel.CITY else None)
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
    log_action(actor, "kepu.order.menu_item_published", item, place=item.district)
    return item


@transaction.atomic
def holiday_set(*, actor: Actor, day: date, name: str, is_workday: bool = False):
    """The district office marks a day off (or a make-up working day) in its calendar."""
    from kepu.orders.models import Holiday

    if actor.role != Role.DISTRICT_ADMIN or actor.place is None:
        raise NotAllowed()
    name = _clean_text(name, 40, _("Name the day (at most 40 characters)."), "holiday_name")
    holiday, _created = Holiday.objects.update_or_create(district=actor.place, date=day,
                                                         defaults={"name": name, "is_workday": is_workday})
    log_action(actor, "kepu.order.holiday_set", holiday, place=actor.place,
               data={"date": day.isoformat(), "workday": is_workday})
    return holiday


@transaction.atomic
def step_deadline_set(*, actor: Actor, step: str, working_days: int):
    from kepu.orders.models import Step, StepDeadline

    if actor.role != Role.DISTRICT_ADMIN or actor.place is None:
        raise NotAllowed()
    if step not in Step.values or not 1 <= int(working_days) <= 30:
        raise OrderError(_("A deadline is from 1 to 30 working days."), code="deadline_invalid")
    row, _created = StepDeadline.objects.update_or_create(district=actor.place, step=step,
                                                          defaults={"working_days": int(working_days)})
    log_action(actor, "kepu.order.deadline_set", row, place=actor.place, data={"step": step, "days": working_days})
    return row
