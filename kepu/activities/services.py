"""Every write of the activities app: lock, check, change, audit, signal after commit."""

from __future__ import annotations

import secrets
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta
from typing import TYPE_CHECKING

import nh3
from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction
from django.db.models import F
from django.utils import timezone
from django.utils.translation import gettext as _

from kepu.accounts.selectors import key_population_of
from kepu.activities import rollup
from kepu.activities.models import (
    ACTIVE,
    ATTENDANCE_FIELDS,
    HOLDING,
    Activity,
    ActivityKind,
    ActivityPhoto,
    ActivityPopulation,
    ActivityReport,
    ActivityStatus,
    ActivityTopic,
    CoOrganizer,
    DeliveredService,
    DistrictActivitySettings,
    FiguresMonth,
    FiguresMonthDistrict,
    Registration,
    RegistrationStatus,
    Session,
    SurveyResponse,
    Theme,
    Venue,
    WalkIn,
    tags_to_text,
    text_to_tags,
)
from kepu.activities.permissions import ActivityAction, RegistrationAction, VenueAction
from kepu.activities.workflow import ACTIVITY, REGISTRATION
from kepu.core import clock
from kepu.core.actor import SYSTEM, Actor
from kepu.core.audit import log_action
from kepu.core.errors import Conflict, DomainError, NotAllowed
from kepu.core.permissions import require
from kepu.core.populations import Population
from kepu.core.roles import Role

if TYPE_CHECKING:
    from kepu.activities.checkin_sheet import Sheet, SheetRow

R = RegistrationStatus
ROLLUPS = (FiguresMonth, FiguresMonthDistrict)
TICKET_PREFIX = "KEPU-TICKET:"

ALLOWED_TAGS = {
    "p",
    "br",
    "strong",
    "em",
    "b",
    "i",
    "u",
    "ul",
    "ol",
    "li",
    "h2",
    "h3",
    "h4",
    "blockquote",
    "a",
    "img",
    "figure",
    "figcaption",
    "table",
    "thead",
    "tbody",
    "tr",
    "th",
    "td",
}


class ActivityError(DomainError):
    code = "activity_invalid"


class RegistrationClosed(DomainError):
    code = "registration_closed"


class AlreadyRegistered(Conflict):
    code = "already_registered"


class OfferExpired(Conflict):
    code = "offer_expired"


class AlreadyCheckedIn(Conflict):
    code = "already_checked_in"


class TicketUnknown(DomainError):
    code = "ticket_unknown"
    status = 404


def sanitize_html(value: str) -> str:
    return nh3.clean(value or "", tags=ALLOWED_TAGS, link_rel="noopener noreferrer nofollow")


# --- Figures kept on the session --------------------------------------------------------------------
def _tally(
    session_id: int,
    *,
    registered: int = 0,
    checked_in: int = 0,
    walk_ins: int = 0,
    population: str | None = None,
    attended: int = 0,
    survey: int | None = None,
) -> None:
    """Move a session's figures and its roll-up row by the same amounts; callers hold the session's lock."""
    delta = {}
    if registered:
        delta["registered"] = registered
    if checked_in:
        delta["checked_in"] = checked_in
    if walk_ins:
        delta["walk_in_count"] = walk_ins
    if attended and population in ATTENDANCE_FIELDS:
        delta[ATTENDANCE_FIELDS[population]] = attended
    if survey is not None:
        delta["survey_sum"] = survey
        delta["survey_count"] = 1
    if not delta:
        return
    Session.objects.filter(pk=session_id).update(**{f: F(f) + v for f, v in delta.items()})
    row = Session.objects.filter(pk=session_id).values(*rollup.SESSION_VALUES).first()
    if row and row["counted"] and not row["is_cancelled"]:
        if "walk_in_count" in delta:
            delta["walk_ins"] = delta.pop("walk_in_count")
        rollup.add(ROLLUPS, rollup.session_key(row), delta)


def _rewrite_sessions(session_ids, **changes) -> None:
    """Change sessions' copied fields (publication, place, organizer, theme, first) and move their figures.

    The rows are locked first (in pk order, as everywhere) so that the figures read before
    and after are the same tallies and only the change itself moves the roll-up.
    """
    ids = list(
        Session.objects.select_for_update().filter(pk__in=list(session_ids)).order_by("pk").values_list("pk", flat=True)
    )
    if not ids:
        return
    before = [rollup.session_contribution(r) for r in Session.objects.filter(pk__in=ids).values(*rollup.SESSION_VALUES)]
    Session.objects.filter(pk__in=ids).update(**changes)
    after = [rollup.session_contribution(r) for r in Session.objects.filter(pk__in=ids).values(*rollup.SESSION_VALUES)]
    rollup.move(ROLLUPS, before, after)


def _sessions_added(sessions) -> None:
    rollup.move(
        ROLLUPS, [], [rollup.session_contribution(rollup.instance_row(s, rollup.SESSION_VALUES)) for s in sessions]
    )


def _copy_fields(activity: Activity) -> dict:
    return {
        "counted": activity.status == ActivityStatus.PUBLISHED,
        "place_path": activity.place_path,
        "district_code": activity.district_code,
        "organization_id_copy": activity.organization_id,
        "theme_id_copy": activity.theme_id,
    }


def sync_sessions(activity: Activity) -> None:
    """Copy the activity's publication, place, organizer and theme onto its sessions (for the figures)."""
    _rewrite_sessions(Session.objects.filter(activity=activity).values_list("pk", flat=True), **_copy_fields(activity))
    sync_tags(activity)


def sync_tags(activity: Activity) -> None:
    """Rewrite the activity's calendar tags from its topics and populations (few rows: delete and insert)."""
    copy = {
        "listed": activity.status == ActivityStatus.PUBLISHED and activity.is_public,
        "starts_at": activity.starts_at,
        "ends_at": activity.ends_at,
        "next_at": activity.next_at,
    }
    for model, field, values in (
        (ActivityTopic, "topic", text_to_tags(activity.topics)),
        (ActivityPopulation, "population", text_to_tags(activity.populations)),
    ):
        model.objects.filter(activity=activity).delete()
        model.objects.bulk_create([model(activity=activity, **{field: v}, **copy) for v in dict.fromkeys(values)])


# --- Activities ------------------------------------------------------------------------------------
ACTIVITY_FIELDS = (
    "title",
    "summary",
    "description",
    "kind",
    "topics",
    "populations",
    "theme",
    "venue",
    "address",
    "online_url",
    "registration_opens_at",
    "registration_closes_at",
    "needs_approval",
    "is_public",
    "offer_hours",
    "place",
    "image",
)


#: Characters that are never text (C0 controls but tab and newlines, DEL, C1): they break exports and pages.
_CONTROL = dict.fromkeys([*range(0x00, 0x09), 0x0B, 0x0C, *range(0x0E, 0x20), *range(0x7F, 0xA0)])


def _clean_online_url(value) -> str:
    """An online link is an http(s) address, whoever gives it (the form checked it; the API did not)."""
    from django.core.validators import URLValidator

    value = (value or "").strip()
    if not value:
        return ""
    try:
        URLValidator(schemes=["http", "https"])(value)
    except ValidationError:
        raise ActivityError(_("The online link must be an http:// or https:// address."), code="online_url_invalid")
    if len(value) > 200:
        raise ActivityError(_("The online link must be an http:// or https:// address."), code="online_url_invalid")
    return value


def _clean_image(value):
    """A sharing image is checked by its content and stored under a name of ours; empty clears it."""
    from kepu.core.uploads import check_image

    if not value or isinstance(value, str) or getattr(value, "_committed", False):
        return value  # "" clears it; a FieldFile already stored stays
    checked = check_image(value, code="image_invalid")
    value.name = checked.stored_name()
    return value


def _clean_fields(fields: dict) -> dict:
    out = {k: v for k, v in fields.items() if k in ACTIVITY_FIELDS}
    for key in ("title", "summary", "address"):
        if isinstance(out.get(key), str):
            out[key] = out[key].translate(_CONTROL).strip()
    if "online_url" in out:
        out["online_url"] = _clean_online_url(out["online_url"])
    if "image" in out:
        out["image"] = _clean_image(out["image"])
    if "offer_hours" in out and out["offer_hours"] is not None:
        hours = out["offer_hours"]
        if isinstance(hours, bool) or not isinstance(hours, int) or not 1 <= hours <= 168:
            raise ActivityError(_("A freed place is offered for 1 to 168 hours."), code="offer_hours_invalid")
    if "description" in out:
        out["description"] = sanitize_html(out["description"])
    if "topics" in out and not isinstance(out["topics"], str):
        out["topics"] = tags_to_text(out["topics"])
    if "populations" in out and not isinstance(out["populations"], str):
        bad = [p for p in out["populations"] if p not in Population.values]
        if bad:
            raise ActivityError(_("Unknown population: %(value)s.") % {"value": ", ".join(bad)})
        out["populations"] = tags_to_text(out["populations"])
    if "title" in out and not (out["title"] or "").strip():
        raise ActivityError(_("An activity needs a title."), code="title_missing")
    opens, closes = out.get("registration_opens_at"), out.get("registration_closes_at")
    if opens and closes and closes <= opens:
        raise ActivityError(_("Sign-up must close after it opens."), code="window_invalid")
    return out


def _check_where_and_when(activity: Activity) -> None:
    """An activity happens in its organizer's district (anywhere for a city-wide one): at an active venue there,
    at a place of the tree, or online; and sign-up opens before the first session starts.

    The district matters because the district's figures and review count it there.
    """
    own_district = activity.organization.place.district_code
    if activity.venue_id:
        venue = Venue.objects.select_related("place").get(pk=activity.venue_id)
        if not venue.is_active or (own_district and venue.place.district_code != own_district):
            raise ActivityError(_("This venue is not open for your activities."), code="venue_invalid")
        activity.place = venue.place  # the venue decides where it is counted
    if own_district and activity.place.district_code != own_district:
        raise ActivityError(_("The place must be in the organizer's district."), code="place_invalid")
    opens = activity.registration_opens_at
    if opens and activity.starts_at and opens >= activity.starts_at:
        raise ActivityError(_("Sign-up must open before the first session starts."), code="window_invalid")


def _refresh_span(activity: Activity) -> None:
    live = activity.sessions.filter(is_cancelled=False)
    first_pk, first = live.order_by("starts_at", "pk").values_list("pk", "starts_at").first() or (None, None)
    last = live.order_by("-ends_at").values_list("ends_at", flat=True).first()
    _rewrite_sessions(
        activity.sessions.filter(is_first=True).exclude(pk=first_pk).values_list("pk", flat=True), is_first=False
    )
    if first_pk:
        _rewrite_sessions(
            activity.sessions.filter(pk=first_pk, is_first=False).values_list("pk", flat=True), is_first=True
        )
    upcoming = next_session_start(activity.pk, clock.now())
    if (activity.starts_at, activity.ends_at, activity.next_at) != (first, last, upcoming):
        activity.starts_at, activity.ends_at, activity.next_at = first, last, upcoming
        activity.save(update_fields=["starts_at", "ends_at", "next_at", "updated_at"])
        _tags_follow([activity.pk])


def _tags_follow(activity_ids) -> None:
    """Copy the calendar's dates of these activities onto their tags."""
    from django.db.models import OuterRef, Subquery

    for model in (ActivityTopic, ActivityPopulation):
        own = Activity.objects.filter(pk=OuterRef("activity_id"))
        model.objects.filter(activity_id__in=activity_ids).update(
            starts_at=Subquery(own.values("starts_at")[:1]),
            ends_at=Subquery(own.values("ends_at")[:1]),
            next_at=Subquery(own.values("next_at")[:1]),
        )


def next_session_start(activity_id: int, now: datetime):
    return (
        Session.objects.filter(activity_id=activity_id, is_cancelled=False, ends_at__gte=now)
        .order_by("starts_at")
        .values_list("starts_at", flat=True)
        .first()
    )


def next_sessions_advance(*, now: datetime | None = None, limit: int = 5000) -> int:
    """Move ``Activity.next_at`` past sessions that have ended (run periodically); returns how many moved."""
    from django.db.models import OuterRef, Subquery

    now = now or clock.now()
    stale = list(Activity.objects.filter(next_at__lt=now).values_list("pk", flat=True)[:limit])
    following = Subquery(
        Session.objects.filter(activity=OuterRef("pk"), is_cancelled=False, ends_at__gte=now)
        .order_by("starts_at")
        .values("starts_at")[:1]
    )
    # An activity whose next session is still running keeps it: only ended sessions move it on.
    with transaction.atomic():
        moved = Activity.objects.filter(pk__in=stale).update(next_at=following)
        _tags_follow(stale)
    return moved


@transaction.atomic
def activity_create(*, actor: Actor, organization, title: str, sessions: Iterable[tuple] = (), **fields) -> Activity:
    """Create a draft activity for ``organization`` with its sessions ``(starts_at, ends_at, capacity)``."""
    data = _clean_fields({"title": title, **fields})
    data.setdefault("place", organization.place)
    activity = Activity(organization=organization, created_by=actor.user, status=ActivityStatus.DRAFT, **data)
    require(actor, ActivityAction.CREATE, activity)
    sessions = list(sessions)
    if sessions:
        activity.starts_at = min(start for start, _end, _capacity in sessions)
    _check_where_and_when(activity)
    activity.save()
    for starts_at, ends_at, capacity in sessions:
        _session_add(activity, starts_at, ends_at, capacity)
    _refresh_span(activity)
    sync_tags(activity)
    log_action(actor, "kepu.activities.created", activity)
    return activity


@transaction.atomic
def activity_update(*, actor: Actor, activity: Activity, **fields) -> Activity:
    activity = Activity.objects.select_for_update().get(pk=activity.pk)
    require(actor, ActivityAction.MANAGE, activity)
    if activity.status == ActivityStatus.CANCELLED:
        raise ActivityError(_("A cancelled activity cannot be changed."), code="activity_cancelled")
    data = _clean_fields(fields)
    for key, value in data.items():
        setattr(activity, key, value)
    opens, closes = activity.registration_opens_at, activity.registration_closes_at
    if opens and closes and closes <= opens:  # one end of the window may have changed alone
        raise ActivityError(_("Sign-up must close after it opens."), code="window_invalid")
    _check_where_and_when(activity)
    activity.save()
    sync_sessions(activity)
    log_action(actor, "kepu.activities.changed", activity, data={"fields": sorted(data)})
    return activity


def _session_add(activity: Activity, starts_at: datetime, ends_at: datetime, capacity: int) -> Session:
    if ends_at < starts_at:
        raise ActivityError(_("A session must end after it starts."), code="session_invalid")
    if not capacity or capacity < 1:
        raise ActivityError(_("A session needs at least one place."), code="capacity_invalid")
    session = Session.objects.create(
        activity=activity, starts_at=starts_at, ends_at=ends_at, capacity=capacity, **_copy_fields(activity)
    )
    _sessions_added([session])
    return session


@transaction.atomic
def session_add(*, actor: Actor, activity: Activity, starts_at: datetime, ends_at: datetime, capacity: int) -> Session:
    require(actor, ActivityAction.MANAGE, activity)
    session = _session_add(activity, starts_at, ends_at, capacity)
    _refresh_span(activity)
    log_action(actor, "kepu.activities.session_added", activity, data={"session": session.pk})
    return session


@transaction.atomic
def session_set_capacity(*, actor: Actor, session: Session, capacity: int) -> Session:
    """Change a session's places; more places promote the waiting list, fewer may not drop below those taken."""
    session = Session.objects.select_for_update().select_related("activity").get(pk=session.pk)
    require(actor, ActivityAction.MANAGE, session.activity)
    if capacity < session.seats_taken:
        raise ActivityError(
            _("%(taken)s places are already taken; the capacity cannot be lower.") % {"taken": session.seats_taken},
            code="capacity_below_taken",
        )
    session.capacity = capacity
    session.save(update_fields=["capacity"])
    _promote(session, clock.now())
    log_action(
        actor, "kepu.activities.capacity_changed", session.activity, data={"session": session.pk, "capacity": capacity}
    )
    return session


def _published_after(step) -> None:
    sync_sessions(step.obj)


def activity_transition(*, actor: Actor, activity: Activity, action: str, reason: str = "") -> Activity:
    """One step of the activity's workflow (``workflow.ACTIVITY``): submit, approve, reject, cancel."""
    return ACTIVITY.run(actor=actor, obj=activity, name=action, reason=reason, after=_published_after)


def activity_submit(*, actor: Actor, activity: Activity) -> Activity:
    """Publish, or send to the district office for review when the district requires it (offices publish directly)."""
    return activity_transition(actor=actor, activity=activity, action="submit")


def activity_review(*, actor: Actor, activity: Activity, approve: bool, note: str = "") -> Activity:
    return activity_transition(actor=actor, activity=activity, action="approve" if approve else "reject", reason=note)


def activity_cancel(*, actor: Actor, activity: Activity, reason: str) -> Activity:
    return activity_transition(actor=actor, activity=activity, action="cancel", reason=reason)


@transaction.atomic
def activity_set_co_organizers(*, actor: Actor, activity: Activity, organizations: Iterable) -> list[int]:
    """Name the organizations that co-host ``activity`` (联合主办), replacing those named before.

    Co-organizers are active organizations of the activity's district, other than its organizer
    (the lead, 牵头单位). Returns their ids.
    """
    from kepu.orgs.selectors import organizations_by_pk

    activity = Activity.objects.select_for_update().get(pk=activity.pk)
    require(actor, ActivityAction.MANAGE, activity)
    if activity.status == ActivityStatus.CANCELLED:
        raise ActivityError(_("A cancelled activity cannot be changed."), code="activity_cancelled")
    wanted = {int(getattr(o, "pk", o)) for o in organizations} - {activity.organization_id}
    found = organizations_by_pk(wanted)
    if len(found) != len(wanted) or any(
        not o.is_active or o.place.district_code != activity.district_code for o in found
    ):
        raise ActivityError(
            _("Co-organizers must be active organizations of the activity's district."), code="co_organizer_invalid"
        )
    before = set(CoOrganizer.objects.filter(activity=activity).values_list("organization_id", flat=True))
    CoOrganizer.objects.filter(activity=activity).exclude(organization_id__in=wanted).delete()
    CoOrganizer.objects.bulk_create([CoOrganizer(activity=activity, organization_id=pk) for pk in wanted - before])
    if before != wanted:
        log_action(
            actor,
            "kepu.activities.co_organizers_set",
            activity,
            data={"added": sorted(wanted - before), "removed": sorted(before - wanted)},
        )
    return sorted(wanted)


@transaction.atomic
def district_settings_set(*, actor: Actor, district, review_required: bool) -> DistrictActivitySettings:
    if not (actor.is_city or (actor.role == Role.DISTRICT_ADMIN and actor.place and actor.place.pk == district.pk)):
        raise NotAllowed()
    obj, _created = DistrictActivitySettings.objects.update_or_create(
        district=district, defaults={"review_required": review_required}
    )
    log_action(
        actor, "kepu.activities.review_setting_changed", obj, place=district, data={"review_required": review_required}
    )
    return obj


# --- Registrations ------------------------------------------------------------------------------------
def _lock_session(session_id: int) -> Session:
    return Session.objects.select_for_update().select_related("activity").get(pk=session_id)


def _check_open(session: Session, now: datetime) -> None:
    activity = session.activity
    if activity.status != ActivityStatus.PUBLISHED or session.is_cancelled:
        raise RegistrationClosed(_("This activity is not open for sign-up."))
    if activity.registration_opens_at and now < activity.registration_opens_at:
        raise RegistrationClosed(_("Sign-up has not opened yet."))
    closes = activity.registration_closes_at or session.starts_at
    if now >= closes or now >= session.starts_at:
        raise RegistrationClosed(_("Sign-up for this session has closed."))


def _someone_waiting(session: Session) -> bool:
    return session.registrations.filter(status=R.WAITING).exists()


def _place_for(session: Session, registration: Registration) -> str:
    """Take a place when one is free and nobody is ahead in the queue (→ confirmed), else queue (→ waiting).

    Returns the state the registration goes to; keeps the session's counters (the caller holds its lock).
    """
    if session.seats_left >= registration.head_count and not _someone_waiting(session):
        session.seats_taken += registration.head_count
        session.save(update_fields=["seats_taken"])
        return R.CONFIRMED
    registration.waiting_seq = session.next_waiting_seq
    session.next_waiting_seq += 1
    session.save(update_fields=["next_waiting_seq"])
    return R.WAITING


@transaction.atomic
def registration_create(
    *,
    actor: Actor,
    session: Session,
    population: str | None = None,
    head_count: int = 1,
    name: str = "",
    note: str = "",
    on_behalf: bool = False,
    attendee=None,
) -> Registration:
    """Sign up for a session: for oneself, or (staff) on behalf of someone or a group.

    Within capacity the place is confirmed (or pending when sign-ups need approval);
    otherwise the registration joins the waiting list at the end. Without a ``population``
    the attendee's own (from their profile) is used; the registration keeps its copy, so the
    figures of a past session do not move when a profile changes later. Staff registering a
    person who has an account pass them as ``attendee`` (found with
    ``kepu.accounts.selectors.person_by_phone``): the ticket is then theirs.
    """
    if not actor.is_authenticated:
        raise NotAllowed()
    if attendee is not None and (not on_behalf or head_count != 1):
        raise DomainError(_("Only one person is registered by their account."), code="attendee_invalid")
    if attendee is not None and not name.strip():
        name = attendee.get_display_name()
    if not population:
        profile_of = attendee if attendee is not None else (None if on_behalf else actor.user)
        population = (key_population_of(profile_of) if profile_of is not None else "") or Population.OTHER
    now = clock.now()
    session = _lock_session(session.pk)
    activity = session.activity
    if on_behalf:
        require(actor, ActivityAction.REGISTER_OTHERS, activity)
        if not name.strip():
            raise DomainError(_("Enter the name of the person or group."), code="name_missing")
    elif head_count != 1:
        raise DomainError(_("Only staff register groups."), code="group_not_allowed")
    if population not in Population.values:
        raise DomainError(_("Choose a population."), code="population_invalid")
    if head_count < 1:
        raise DomainError(_("The head count must be at least 1."), code="head_count_invalid")
    if head_count > session.capacity:
        raise DomainError(
            _("The group is larger than the session (%(capacity)s places).") % {"capacity": session.capacity},
            code="group_too_large",
        )
    _check_open(session, now)
    user = attendee if on_behalf else actor.user
    if user is not None and session.registrations.filter(user=user, status__in=ACTIVE).exists():
        if on_behalf:
            raise AlreadyRegistered(
                _("%(name)s is already signed up for this session.") % {"name": user.get_display_name()}
            )
        raise AlreadyRegistered(_("You are already signed up for this session."))
    registration = Registration(
        session=session,
        user=user,
        registered_by=actor.user,
        head_count=head_count,
        population=population,
        name=(name.strip() or actor.user.get_display_name())[:60],
        note=note[:200],
    )
    # The first state of a sign-up (no transition leads into it).
    registration.status = R.PENDING if activity.needs_approval else _place_for(session, registration)
    try:
        with transaction.atomic():
            registration.save()
    except IntegrityError:
        raise AlreadyRegistered(_("You are already signed up for this session.")) from None
    _tally(session.pk, registered=head_count)
    log_action(
        actor,
        "kepu.activities.registration.created",
        registration,
        place=activity.place,
        data={"status": registration.status, "head_count": head_count},
    )
    if on_behalf and user is not None:
        transaction.on_commit(lambda: _tell_attendee(registration))
    return registration


def _tell_attendee(registration: Registration) -> None:
    """Someone registered by a community worker (by phone) learns it in their inbox, with the ticket."""
    from django.urls import reverse

    from kepu.notifications.services import notify

    notify(
        [registration.user],
        kind="kepu.activities.registered_for_you",
        title=_("You are signed up for %(title)s") % {"title": registration.session.activity.title},
        body=_("%(who)s signed you up (%(status)s). Your ticket is in My sign-ups.")
        % {
            "who": registration.registered_by.get_display_name() if registration.registered_by else "",
            "status": registration.get_status_display(),
        },
        url=reverse("activities:ticket", args=[registration.pk]),
    )


@transaction.atomic
def registration_decide(*, actor: Actor, registration: Registration, approve: bool) -> Registration:
    """Approve or refuse a sign-up that needs approval; an approved one takes a place or queues."""
    session = _lock_session(registration.session_id)
    registration = Registration.objects.select_for_update().get(pk=registration.pk)
    name = "approve" if approve else "reject"
    REGISTRATION.check(actor, registration, name)
    if approve:
        REGISTRATION.move(actor=actor, obj=registration, name=name, to_state=_place_for(session, registration))
    else:
        REGISTRATION.move(actor=actor, obj=registration, name=name)
        _tally(session.pk, registered=-registration.head_count)
    registration.save(update_fields=["status", "waiting_seq", "updated_at"])
    log_action(
        actor,
        "kepu.activities.registration.approved" if approve else "kepu.activities.registration.rejected",
        registration,
        place=session.activity.place,
        data={"status": registration.status},
    )
    return registration


@transaction.atomic
def registration_cancel(*, actor: Actor, registration: Registration) -> Registration:
    """Cancel (by the attendee, whoever registered them, or the organizer); a freed place goes to the queue."""
    session = _lock_session(registration.session_id)
    registration = Registration.objects.select_for_update().get(pk=registration.pk)
    require(actor, RegistrationAction.CANCEL, registration)
    if registration.checked_in_at:
        raise Conflict(_("This person has already been checked in."), code="already_checked_in")
    REGISTRATION.check(actor, registration, "cancel")
    held = registration.status in HOLDING
    REGISTRATION.move(actor=actor, obj=registration, name="cancel")
    registration.offer_expires_at = None
    registration.save(update_fields=["status", "offer_expires_at", "updated_at"])
    if held:
        session.seats_taken -= registration.head_count
        session.save(update_fields=["seats_taken"])
    _tally(session.pk, registered=-registration.head_count)
    log_action(actor, "kepu.activities.registration.cancelled", registration, place=session.activity.place)
    _promote(session, clock.now())
    return registration


def _promote(session: Session, now: datetime) -> list[Registration]:
    """Offer freed places to the waiting list, strictly in order (the caller holds the session lock).

    The head of the queue is offered a place only if their whole head count fits; nobody
    behind them jumps ahead, so nobody is skipped. A registration is offered at most once:
    ``promoted_at`` is set with the offer and an offer that lapses is never renewed.
    """
    offered = []
    if session.is_cancelled or now >= session.starts_at:
        return offered
    hours = session.activity.offer_hours
    while True:
        head = (
            session.registrations.select_for_update()
            .filter(status=R.WAITING, promoted_at__isnull=True)
            .order_by("waiting_seq")
            .first()
        )
        if head is None or head.head_count > session.seats_left:
            break
        REGISTRATION.check(SYSTEM, head, "offer")
        REGISTRATION.move(actor=SYSTEM, obj=head, name="offer")
        head.promoted_at = now
        head.offer_expires_at = min(now + timedelta(hours=hours), session.starts_at)
        head.save(update_fields=["status", "promoted_at", "offer_expires_at", "updated_at"])
        session.seats_taken += head.head_count
        session.save(update_fields=["seats_taken"])
        log_action(
            None,
            "kepu.activities.registration.offered",
            head,
            place=session.activity.place,
            data={"expires_at": head.offer_expires_at.isoformat()},
        )
        offered.append(head)
        transaction.on_commit(lambda r=head: _notify_offer(r))
    return offered


def _notify_offer(registration: Registration) -> None:
    # A group's offer goes to whoever registered it (the teacher, the community worker).
    user = registration.user or registration.registered_by
    if user is not None and user.phone:
        from django.urls import reverse

        from kepu.core.messaging import send_sms
        from kepu.notifications.services import absolute

        expires = timezone.localtime(registration.offer_expires_at)
        send_sms(
            user.phone,
            _("A place is free for %(title)s. Confirm by %(time)s or it passes to the next person.")
            % {"title": registration.session.activity.title, "time": expires.strftime("%m-%d %H:%M")}
            + " "
            + absolute(reverse("activities:ticket", args=[registration.pk])),
            kind="activity_offer",
        )


def registration_accept_offer(*, actor: Actor, registration: Registration) -> Registration:
    """Accept an offered place in time; a late acceptance lapses the offer, passes it on, then fails."""
    with transaction.atomic():
        session = _lock_session(registration.session_id)
        registration = Registration.objects.select_for_update().get(pk=registration.pk)
        REGISTRATION.check(actor, registration, "accept")
        now = clock.now()
        too_late = bool(registration.offer_expires_at and now >= registration.offer_expires_at)
        if too_late:
            # The lapse and the next offer must be kept, so the error is raised after the block commits.
            _lapse(session, registration)
            _promote(session, now)
        else:
            REGISTRATION.move(actor=actor, obj=registration, name="accept")
            registration.offer_expires_at = None
            registration.save(update_fields=["status", "offer_expires_at", "updated_at"])
            log_action(actor, "kepu.activities.registration.offer_accepted", registration, place=session.activity.place)
    if too_late:
        raise OfferExpired(_("The offer has expired and passed to the next person."))
    return registration


def _lapse(session: Session, registration: Registration) -> None:
    REGISTRATION.check(SYSTEM, registration, "lapse")
    REGISTRATION.move(actor=SYSTEM, obj=registration, name="lapse")
    registration.save(update_fields=["status", "updated_at"])
    session.seats_taken -= registration.head_count
    session.save(update_fields=["seats_taken"])
    _tally(session.pk, registered=-registration.head_count)
    log_action(None, "kepu.activities.registration.offer_lapsed", registration, place=session.activity.place)


def offers_expire(*, now: datetime | None = None) -> int:
    """Lapse every offer past its time and pass the places on; returns how many lapsed.

    One transaction per session, so one busy session never holds up the others.
    """
    now = now or clock.now()
    session_ids = list(
        Registration.objects.filter(status=R.OFFERED, offer_expires_at__lte=now)
        .values_list("session_id", flat=True)
        .distinct()
    )
    lapsed = 0
    for session_id in session_ids:
        with transaction.atomic():
            session = _lock_session(session_id)
            expired = list(
                session.registrations.select_for_update()
                .filter(status=R.OFFERED, offer_expires_at__lte=now)
                .order_by("waiting_seq")
            )
            for registration in expired:
                _lapse(session, registration)
                lapsed += 1
            _promote(session, now)
    return lapsed


# --- Check-in ----------------------------------------------------------------------------------------
class CheckinNotOpen(DomainError):
    code = "checkin_not_open"
    status = 409


class CheckinClosed(DomainError):
    code = "checkin_closed"
    status = 409


def _at_the_door(session: Session, now: datetime, late_reason: str | None) -> str:
    """Whether someone may be counted at ``session`` now; returns the late-entry reason ("" at the door).

    At the door from ``checkin_opens_at`` to the session's end. After the session has begun, someone
    the door missed may be counted as a late entry (补登): a separate act with a reason, audited.
    Before the window opens nobody is counted, whatever the reason.
    """
    if late_reason is not None:
        if now < session.starts_at:
            raise CheckinNotOpen(
                _("A late entry can be recorded only once the session has begun."), code="late_too_early"
            )
        return ACTIVITY.clean_reason(late_reason)[:300]
    if now < session.checkin_opens_at:
        when = timezone.localtime(session.checkin_opens_at).strftime("%m-%d %H:%M")
        raise CheckinNotOpen(_("Check-in opens at %(time)s.") % {"time": when})
    if now > session.checkin_closes_at:
        raise CheckinClosed(_("The session has ended: record a late entry, with the reason, to count someone now."))
    return ""


def parse_ticket(payload: str) -> str:
    code = (payload or "").strip()
    if code.upper().startswith(TICKET_PREFIX):
        code = code[len(TICKET_PREFIX) :]
    if "/t/" in code:  # a scanned URL form of the ticket
        code = code.rsplit("/t/", 1)[1].strip("/")
    return code


@transaction.atomic
def check_in(
    *,
    actor: Actor,
    activity: Activity,
    payload: str = "",
    registration: Registration | None = None,
    session: Session | None = None,
    late_reason: str | None = None,
) -> Registration:
    """Check an attendee in by the QR payload (or a registration found by name) for ``activity``.

    Only while the session's check-in is open (see ``_at_the_door``); ``late_reason`` makes it a late
    entry (``check_in_late``).
    """
    if registration is None:
        code = parse_ticket(payload)
        registration = Registration.objects.filter(ticket_code=code, session__activity=activity).first()
        if registration is None:
            raise TicketUnknown(_("This ticket is not for this activity."))
    _lock_session(registration.session_id)  # session before registration, as everywhere
    registration = Registration.objects.select_for_update().select_related("session__activity").get(pk=registration.pk)
    require(actor, RegistrationAction.CHECK_IN, registration)
    if registration.session.activity_id != activity.pk or (
        session is not None and registration.session_id != session.pk
    ):
        raise TicketUnknown(_("This ticket is for another session."), code="ticket_other_session")
    if registration.checked_in_at:
        raise AlreadyCheckedIn(
            _("%(name)s was already checked in at %(time)s.")
            % {"name": registration.name, "time": timezone.localtime(registration.checked_in_at).strftime("%H:%M")},
        )
    if registration.status != R.CONFIRMED:
        raise Conflict(
            _("%(name)s has no confirmed place (%(status)s).")
            % {"name": registration.name, "status": registration.get_status_display()},
            code="not_confirmed",
        )
    now = clock.now()
    reason = _at_the_door(registration.session, now, late_reason)
    registration.checked_in_at = now
    registration.checked_in_by = actor.user
    registration.late_entry_reason = reason
    registration.save(update_fields=["checked_in_at", "checked_in_by", "late_entry_reason", "updated_at"])
    _tally(
        registration.session_id,
        checked_in=registration.head_count,
        population=registration.population,
        attended=registration.head_count,
    )
    if reason:
        log_action(
            actor,
            "kepu.activities.registration.checked_in_late",
            registration,
            place=activity.place,
            data={"reason": reason},
        )
    else:
        log_action(actor, "kepu.activities.registration.checked_in", registration, place=activity.place)
    if registration.session.surveys_sent_at is not None:
        # Counted after the invitations went out: invited now, like the others were at the end.
        transaction.on_commit(lambda: _invite_to_survey([registration]))
    return registration


def check_in_late(*, actor: Actor, activity: Activity, registration: Registration, reason: str) -> Registration:
    """补登: count someone the door missed, once the session has begun, with the reason (audited)."""
    return check_in(actor=actor, activity=activity, registration=registration, late_reason=reason or "")


@transaction.atomic
def walk_in_record(
    *, actor: Actor, session: Session, head_count: int, population: str, late_reason: str | None = None
) -> WalkIn:
    """Count people who came without signing up, at the door (or afterwards as a late entry with a reason)."""
    require(actor, ActivityAction.MANAGE, session.activity)
    if head_count < 1 or head_count > 10000:
        raise DomainError(_("Enter a head count between 1 and 10000."), code="head_count_invalid")
    if population not in Population.values:
        raise DomainError(_("Choose a population."), code="population_invalid")
    session = _lock_session(session.pk)
    reason = _at_the_door(session, clock.now(), late_reason)
    walk_in = WalkIn.objects.create(
        session=session,
        head_count=head_count,
        population=population,
        recorded_by=actor.user,
        late_entry_reason=reason,
    )
    _tally(session.pk, walk_ins=head_count, population=population, attended=head_count)
    log_action(
        actor,
        "kepu.activities.walk_in_late" if reason else "kepu.activities.walk_in",
        session.activity,
        data={
            "session": session.pk,
            "head_count": head_count,
            "population": population,
            **({"reason": reason} if reason else {}),
        },
    )
    return walk_in


class CheckinListInvalid(DomainError):
    """A check-in list that cannot be applied; ``errors`` says why, row by row (nothing was saved)."""

    code = "import_rows_invalid"

    def __init__(self, errors: list[str]):
        self.errors = errors
        shown = errors[:20]
        more = len(errors) - len(shown)
        text = " ".join(shown) + (" " + _("(%(n)s more)") % {"n": more} if more else "")
        super().__init__(text, data={"errors": errors})


@dataclass
class CheckinImport:
    checked_in: int = 0  # people (registrations) checked in by this import
    already: int = 0  # marked on the list and checked in before (a second import of the same file)
    walk_ins: int = 0  # head count of walk-ins added
    walk_ins_already_counted: bool = False


def _sheet_key_used(session: Session, key: str) -> dict:
    """The walk-ins an earlier import of the list ``key`` counted, by population (empty if none)."""
    counted: dict = {}
    for population, n in WalkIn.objects.filter(session=session, sheet_key=key).values_list("population", "head_count"):
        counted[population] = counted.get(population, 0) + n
    return counted


@transaction.atomic
def checkin_sheet_export(*, actor: Actor, activity: Activity, session: Session) -> bytes:
    """The check-in list of one session as an Excel workbook, for the door when there is no network."""
    from kepu.activities import checkin_sheet

    require(actor, ActivityAction.MANAGE, activity)
    if session.activity_id != activity.pk:
        raise TicketUnknown(_("This session is not one of this activity's."), code="session_unknown")
    registrations = session.registrations.filter(status=R.CONFIRMED).select_related("user").order_by("name", "pk")
    key = secrets.token_urlsafe(9)
    content = checkin_sheet.build(activity=activity, session=session, registrations=registrations, key=key)
    # The file carries masked personal data out of the platform: who took it is recorded.
    log_action(actor, "kepu.activities.checkin_list_exported", activity, data={"session": session.pk, "sheet": key})
    return content


@transaction.atomic
def checkin_sheet_import(
    *, actor: Actor, activity: Activity, content: bytes, late_reason: str | None = None
) -> CheckinImport:
    """Apply a marked check-in list: every row is checked first, and one bad row saves nothing.

    Importing the same file again checks nobody in twice and counts its walk-ins once; a
    cleared mark does not undo a check-in made earlier.
    """
    require(actor, ActivityAction.MANAGE, activity)
    sheet = _checkin_sheet_read(content, activity)
    session = _lock_session(_checkin_sheet_session(sheet, activity).pk)  # the session before its registrations
    # A list brought back after the session is a late entry: the office says why, and it is audited.
    reason = _at_the_door(session, clock.now(), late_reason or None)
    plan = _checkin_sheet_validate(sheet, activity, session)
    return _checkin_sheet_apply(actor=actor, activity=activity, session=session, sheet=sheet, plan=plan, reason=reason)


def _checkin_sheet_read(content: bytes, activity: Activity) -> Sheet:
    """Parse: the workbook as a ``checkin_sheet.Sheet``, refused unless it is a list exported for ``activity``."""
    from kepu.activities import checkin_sheet

    try:
        sheet = checkin_sheet.read(content)
    except checkin_sheet.SheetUnreadable:
        raise DomainError(
            _("The file is not a check-in list exported from this page (an .xlsx file)."), code="import_format"
        ) from None
    if sheet.activity_id != activity.pk:
        raise DomainError(_("This check-in list is for another activity."), code="import_other_activity")
    return sheet


def _checkin_sheet_session(sheet: Sheet, activity: Activity) -> Session:
    """The session the list was exported for, if it is still one of ``activity``'s."""
    session = Session.objects.filter(pk=sheet.session_id, activity=activity).first()
    if session is None:
        raise DomainError(_("This check-in list is for a session that no longer exists."), code="import_other_activity")
    return session


@dataclass
class _CheckinPlan:
    """What a valid list changes: the registrations marked present and the walk-ins by population."""

    present: list[Registration]
    walk_ins: dict[str, int]
    counted_before: dict | None  # the walk-ins an earlier import of the same list counted; None if it counted none


def _checkin_sheet_validate(sheet: Sheet, activity: Activity, session: Session) -> _CheckinPlan:
    """Validate: every row of the list and of the walk-ins; raises ``CheckinListInvalid`` with every error."""
    errors: list[str] = []
    present = _checkin_marks(sheet, activity, session, errors)
    walk_ins = _checkin_walk_ins(sheet, errors)
    before = _sheet_key_used(session, sheet.key[:20]) or None  # an import that counted no walk-ins counted nothing
    if before is not None and before != walk_ins:
        errors.append(
            _(
                "Walk-ins: this list was imported before with other walk-in counts; the walk-ins are "
                "not counted twice. Add the difference on the check-in page."
            )
        )
    if errors:
        raise CheckinListInvalid(errors)
    return _CheckinPlan(present=present, walk_ins=walk_ins, counted_before=before)


def _checkin_marks(sheet: Sheet, activity: Activity, session: Session, errors: list[str]) -> list[Registration]:
    """The registrations (locked) marked present on the list; every row that cannot be applied adds its error."""
    from kepu.activities import checkin_sheet

    tickets = [row.ticket for row in sheet.rows if row.ticket]
    found = {
        r.ticket_code: r
        for r in Registration.objects.select_for_update()
        .filter(session__activity=activity, ticket_code__in=tickets)
        .order_by("pk")
    }
    present: list[Registration] = []
    seen: dict[str, int] = {}
    for row in sheet.rows:
        came = checkin_sheet.is_present(row.mark)
        reg = found.get(row.ticket)
        error = _checkin_row_error(row, reg, came, seen.get(row.ticket), session)
        if error:
            errors.append(error)
        elif came:
            present.append(reg)
        if row.ticket:
            seen.setdefault(row.ticket, row.line)
    return present


def _checkin_row_error(
    row: SheetRow, reg: Registration | None, came: bool | None, other_line: int | None, session: Session
) -> str | None:
    """Why one row of the list cannot be applied, or None. ``other_line``: an earlier row with the same ticket."""
    from kepu.activities import checkin_sheet

    if not row.ticket:
        return _("Row %(line)s: the ticket code is missing.") % {"line": row.line}
    if other_line is not None:
        return _("Row %(line)s: ticket %(code)s is on the list twice (also row %(other)s).") % {
            "line": row.line,
            "code": row.ticket,
            "other": other_line,
        }
    if reg is None:
        return _("Row %(line)s: ticket %(code)s is not for this activity.") % {"line": row.line, "code": row.ticket}
    if reg.session_id != session.pk:
        return _("Row %(line)s: ticket %(code)s is for another session.") % {"line": row.line, "code": row.ticket}
    if came is None:
        return _('Row %(line)s: "%(mark)s" is not a mark; write 1 for someone who came, or leave it empty.') % {
            "line": row.line,
            "mark": row.mark[:20],
        }
    if came and reg.status != R.CONFIRMED and reg.checked_in_at is None:
        return _("Row %(line)s: %(name)s has no confirmed place any more (%(status)s).") % {
            "line": row.line,
            "name": checkin_sheet.mask_name(reg.name),
            "status": reg.get_status_display(),
        }
    return None


def _checkin_walk_ins(sheet: Sheet, errors: list[str]) -> dict[str, int]:
    """The walk-ins counted on the list, by population; every row that cannot be read adds its error."""
    from kepu.activities import checkin_sheet

    walk_ins: dict[str, int] = {}
    for row in sheet.walk_ins:
        n = checkin_sheet.walk_in_count(row.raw)
        if row.population not in Population.values:
            errors.append(_("Walk-ins, row %(line)s: the population column was changed.") % {"line": row.line})
        elif n is None:
            errors.append(_("Walk-ins, row %(line)s: write a whole number from 0 to 10000.") % {"line": row.line})
        elif n:
            walk_ins[row.population] = walk_ins.get(row.population, 0) + n
    return walk_ins


def _checkin_sheet_apply(
    *, actor: Actor, activity: Activity, session: Session, sheet: Sheet, plan: _CheckinPlan, reason: str
) -> CheckinImport:
    """Apply a validated list: check in those not yet checked in, count the walk-ins once, audit, signal on commit."""
    result = CheckinImport(walk_ins_already_counted=plan.counted_before is not None)
    now = clock.now()
    newly = []
    for reg in plan.present:
        if reg.checked_in_at is not None:
            result.already += 1
            continue
        newly.append(reg)
        reg.checked_in_at = now
        reg.checked_in_by = actor.user
        reg.late_entry_reason = reason
        reg.save(update_fields=["checked_in_at", "checked_in_by", "late_entry_reason", "updated_at"])
        _tally(session.pk, checked_in=reg.head_count, population=reg.population, attended=reg.head_count)
        result.checked_in += 1
        log_action(
            actor,
            "kepu.activities.registration.checked_in_late" if reason else "kepu.activities.registration.checked_in",
            reg,
            place=activity.place,
            data={"from": "list", **({"reason": reason} if reason else {})},
        )
    if plan.counted_before is None:
        for population, n in plan.walk_ins.items():
            WalkIn.objects.create(
                session=session,
                head_count=n,
                population=population,
                recorded_by=actor.user,
                sheet_key=sheet.key[:20],
                late_entry_reason=reason,
            )
            _tally(session.pk, walk_ins=n, population=population, attended=n)
            result.walk_ins += n
    log_action(
        actor,
        "kepu.activities.checkin_imported",
        activity,
        data={
            "session": session.pk,
            "sheet": sheet.key,
            "checked_in": result.checked_in,
            "walk_ins": plan.walk_ins,
            **({"late_entry_reason": reason} if reason else {}),
        },
    )
    if session.surveys_sent_at is not None:
        transaction.on_commit(lambda: _invite_to_survey(newly))
    return result


# --- After the activity -----------------------------------------------------------------------------
def _invite_to_survey(registrations) -> None:
    """Ask attendees (with an inbox of their own) how it was: after the session, on their ticket."""
    from django.urls import reverse

    from kepu.notifications.services import notify

    for registration in registrations:
        if registration.user_id is None:
            continue  # a group or a person registered by staff has no inbox of their own
        notify(
            [registration.user],
            kind="kepu.activities.survey",
            title=_("How was %(title)s?") % {"title": registration.session.activity.title},
            body=_("Thank you for coming. Tell the organizer how it went: one question on your ticket."),
            url=reverse("activities:ticket", args=[registration.pk]),
        )


def survey_invitations_send(*, now: datetime | None = None, limit: int = 500) -> int:
    """Invite the attendees of every session that has ended to its satisfaction survey (once per session).

    The survey goes after the session ends, never at check-in: a rating of something that has not
    happened yet would count. Returns how many sessions were done.
    """
    now = now or clock.now()
    done = 0
    for pk in (
        Session.objects.filter(surveys_sent_at__isnull=True, ends_at__lte=now)
        .order_by("ends_at")
        .values_list("pk", flat=True)[:limit]
    ):
        with transaction.atomic():
            session = _lock_session(pk)
            if session.surveys_sent_at is not None:
                continue
            session.surveys_sent_at = now
            session.save(update_fields=["surveys_sent_at"])
            attendees = list(
                session.registrations.filter(checked_in_at__isnull=False, user__isnull=False).select_related(
                    "user", "session__activity"
                )
            )
            transaction.on_commit(lambda attendees=attendees: _invite_to_survey(attendees))
        done += 1
    return done


def survey_open(registration: Registration, now: datetime | None = None) -> bool:
    """The survey of a checked-in attendee opens when their session has ended."""
    return registration.checked_in_at is not None and (now or clock.now()) >= registration.session.ends_at


@transaction.atomic
def survey_submit(*, actor: Actor, registration: Registration, score: int, comment: str = "") -> SurveyResponse:
    """A checked-in attendee rates the activity once, after the session has ended."""
    _lock_session(registration.session_id)
    registration = Registration.objects.select_for_update().select_related("session").get(pk=registration.pk)
    require(actor, RegistrationAction.SURVEY, registration)
    if registration.checked_in_at is None:
        raise NotAllowed(_("Only people who attended can answer the survey."), code="not_attended")
    if not survey_open(registration):
        raise Conflict(_("The survey opens when the session has ended."), code="survey_not_yet")
    if not 1 <= int(score) <= 5:
        raise DomainError(_("Choose a rating from 1 to 5."), code="score_invalid")
    if SurveyResponse.objects.filter(registration=registration).exists():
        raise Conflict(_("You have already answered this survey."), code="survey_done")
    response = SurveyResponse.objects.create(registration=registration, score=int(score), comment=comment[:500])
    _tally(registration.session_id, survey=int(score))
    log_action(actor, "kepu.activities.survey_answered", registration, data={"score": int(score)})
    return response


@transaction.atomic
def report_save(*, actor: Actor, activity: Activity, notes: str) -> ActivityReport:
    require(actor, ActivityAction.REPORT, activity)
    report, _created = ActivityReport.objects.update_or_create(activity=activity, defaults={"notes": notes[:10000]})
    log_action(actor, "kepu.activities.report_saved", activity)
    return report


@transaction.atomic
def photo_add(*, actor: Actor, activity: Activity, file, caption: str = "") -> ActivityPhoto:
    from kepu.core.uploads import check_image

    require(actor, ActivityAction.REPORT, activity)
    checked = check_image(file, code="photo_invalid")
    file.name = checked.stored_name()
    photo = ActivityPhoto(activity=activity, file=file, caption=caption.translate(_CONTROL)[:120])
    photo.save()
    log_action(actor, "kepu.activities.photo_added", activity)
    return photo


# --- Visit booking (预约参观) ----------------------------------------------------------------------------
@transaction.atomic
def venue_create(
    *,
    actor: Actor,
    organization,
    place,
    name: str,
    address: str = "",
    opening_hours: dict | None = None,
    slot_minutes: int = 60,
    slot_capacity: int = 30,
) -> Venue:
    venue = Venue(
        organization=organization,
        place=place,
        name=name,
        address=address,
        opening_hours=_clean_hours(opening_hours or {}),
        slot_minutes=slot_minutes,
        slot_capacity=slot_capacity,
    )
    require(actor, VenueAction.CREATE, venue)
    venue.full_clean()
    venue.save()
    log_action(actor, "kepu.activities.venue.created", venue)
    return venue


def _clean_hours(hours: dict) -> dict:
    out = {}
    for day, periods in hours.items():
        if str(day) not in {str(i) for i in range(7)}:
            raise DomainError(_("Opening hours use weekdays 0 (Monday) to 6 (Sunday)."), code="hours_invalid")
        clean = []
        for start, end in periods:
            try:
                s, e = time.fromisoformat(start), time.fromisoformat(end)
            except ValueError:
                raise DomainError(_("Write times as 09:00."), code="hours_invalid") from None
            if e <= s:
                raise DomainError(_("A period must end after it starts."), code="hours_invalid")
            clean.append([s.strftime("%H:%M"), e.strftime("%H:%M")])
        out[str(day)] = clean
    return out


def venue_slots(venue: Venue, day: date) -> list[tuple[datetime, datetime]]:
    """The timed slots of ``day`` cut from the opening hours."""
    slots = []
    tz = timezone.get_current_timezone()
    for start, end in venue.opening_hours.get(str(day.weekday()), []):
        cursor = datetime.combine(day, time.fromisoformat(start), tzinfo=tz)
        stop = datetime.combine(day, time.fromisoformat(end), tzinfo=tz)
        step = timedelta(minutes=venue.slot_minutes)
        while cursor + step <= stop:
            slots.append((cursor, cursor + step))
            cursor += step
    return slots


@transaction.atomic
def venue_publish_slots(*, actor: Actor, venue: Venue, first_day: date, last_day: date, title: str = "") -> Activity:
    """Open visit booking: one ``visit`` activity per venue, one session per timed slot.

    The activity is submitted like every other (``workflow.ACTIVITY``): published, or sent to the
    district office where the district reviews activities. Running it again for a later period adds
    the new slots and leaves existing ones (and their bookings) alone.
    """
    venue = Venue.objects.select_for_update().get(pk=venue.pk)
    require(actor, VenueAction.MANAGE, venue)
    if not venue.is_active:
        raise DomainError(_("This venue is closed to bookings."), code="venue_closed")
    if last_day < first_day or (last_day - first_day).days > 366:
        raise DomainError(_("Choose a period of at most one year."), code="period_invalid")
    activity = (
        Activity.objects.filter(venue=venue, kind=ActivityKind.VISIT).exclude(status=ActivityStatus.CANCELLED).first()
    )
    if activity is None:
        activity = Activity(
            organization=venue.organization,
            place=venue.place,
            venue=venue,
            kind=ActivityKind.VISIT,
            title=title or _("Visit %(venue)s") % {"venue": venue.name},
            address=venue.address,
            status=ActivityStatus.DRAFT,
            created_by=actor.user,
        )
        activity.save()
    existing = set(activity.sessions.values_list("starts_at", flat=True))
    new = []
    day = first_day
    while day <= last_day:
        for start, end in venue_slots(venue, day):
            if start not in existing:
                new.append(
                    Session(
                        activity=activity,
                        starts_at=start,
                        ends_at=end,
                        capacity=venue.slot_capacity,
                        **_copy_fields(activity),
                    )
                )
        day += timedelta(days=1)
    Session.objects.bulk_create(new)
    _sessions_added(new)
    _refresh_span(activity)
    sync_tags(activity)
    if ACTIVITY.allowed(actor, activity, "submit"):
        activity = activity_submit(actor=actor, activity=activity)
    log_action(
        actor,
        "kepu.activities.venue.slots_published",
        venue,
        data={"slots": len(new), "from": first_day.isoformat(), "to": last_day.isoformat()},
    )
    return activity


@transaction.atomic
def venue_update(
    *,
    actor: Actor,
    venue: Venue,
    name: str | None = None,
    address: str | None = None,
    opening_hours: dict | None = None,
    slot_minutes: int | None = None,
    slot_capacity: int | None = None,
) -> Venue:
    """Change a venue's name, address, weekly hours or slots (slots already published keep their times)."""
    venue = Venue.objects.select_for_update().get(pk=venue.pk)
    require(actor, VenueAction.MANAGE, venue)
    changed = []
    for field, value in (
        ("name", name),
        ("address", address),
        ("opening_hours", _clean_hours(opening_hours) if opening_hours is not None else None),
        ("slot_minutes", slot_minutes),
        ("slot_capacity", slot_capacity),
    ):
        if value is not None and getattr(venue, field) != value:
            setattr(venue, field, value)
            changed.append(field)
    if changed:
        venue.full_clean()
        venue.save(update_fields=[*changed, "updated_at"])
        log_action(actor, "kepu.activities.venue.updated", venue, data={"fields": changed})
    return venue


def _visit_activities(venue: Venue):
    return Activity.objects.select_for_update().filter(
        venue=venue, kind=ActivityKind.VISIT, status=ActivityStatus.PUBLISHED
    )


@transaction.atomic
def venue_booking_close(*, actor: Actor, venue: Venue, reason: str) -> int:
    """Close a venue to new visits (a science base revoked or whose term ended): no new sign-ups and no new slots.

    Tickets already held are honoured: their holders are told that their visit stands. Returns how many
    people were told. Idempotent: a closed venue stays closed and nobody is told twice.
    """
    venue = Venue.objects.select_for_update().get(pk=venue.pk)
    if not actor.is_system:
        require(actor, VenueAction.MANAGE, venue)
    now = clock.now()
    told = set()
    for activity in _visit_activities(venue):
        if activity.registration_closes_at is not None and activity.registration_closes_at <= now:
            continue
        activity.registration_closes_at = now
        activity.save(update_fields=["registration_closes_at", "updated_at"])
        holders = (
            Registration.objects.filter(session__activity=activity, session__starts_at__gte=now, status__in=HOLDING)
            .exclude(user=None)
            .select_related("user", "session")
            .order_by("session__starts_at", "pk")
        )
        first_ticket = {}
        for r in holders:
            first_ticket.setdefault(r.user_id, r)
        if first_ticket:
            from django.urls import reverse

            from kepu.notifications.services import notify

            title = _("Your visit to %(venue)s stands") % {"venue": venue.name}
            body = _(
                "%(venue)s no longer takes new bookings (%(reason)s). Your ticket is still valid: come as booked."
            ) % {"venue": venue.name, "reason": reason}
            for r in first_ticket.values():
                notify(
                    [r.user],
                    title=title,
                    body=body,
                    url=reverse("activities:ticket", args=[r.pk]),
                    kind="kepu.activities.venue.closed",
                )
            told |= set(first_ticket)
    if venue.is_active:
        venue.is_active = False
        venue.save(update_fields=["is_active", "updated_at"])
    log_action(
        None if actor.is_system else actor,
        "kepu.activities.venue.booking_closed",
        venue,
        data={"reason": reason, "told": len(told)},
    )
    return len(told)


@transaction.atomic
def venue_booking_open(*, actor: Actor, venue: Venue) -> Venue:
    """Open a closed venue to bookings again (a base certified anew)."""
    venue = Venue.objects.select_for_update().get(pk=venue.pk)
    if not actor.is_system:
        require(actor, VenueAction.MANAGE, venue)
    for activity in _visit_activities(venue).filter(registration_closes_at__isnull=False):
        activity.registration_closes_at = None
        activity.save(update_fields=["registration_closes_at", "updated_at"])
    if not venue.is_active:
        venue.is_active = True
        venue.save(update_fields=["is_active", "updated_at"])
        log_action(None if actor.is_system else actor, "kepu.activities.venue.booking_opened", venue)
    return venue


# --- Delivered service orders (from the orders app) ------------------------------------------------------
@transaction.atomic
def delivered_service_record(
    *,
    order_id: int,
    place,
    delivered_at: datetime,
    organization=None,
    title: str = "",
    attendance: dict | None = None,
    activity_id: int | None = None,
) -> DeliveredService:
    """Count a delivered service order once (idempotent on ``order_id``), in the figures roll-up too.

    A repeated signal may correct the order (its attendance, say): its old contribution to
    the roll-up is taken back and the new one added, under the row's lock.
    """
    attendance = {k: int(v) for k, v in (attendance or {}).items() if k in Population.values and int(v) > 0}
    values = {
        "place": place,
        "place_path": place.path,
        "district_code": place.district_code,
        "organization": organization,
        "delivered_at": delivered_at,
        "title": title[:200],
        "attendance": attendance,
        "activity_id": activity_id,
    }
    obj = DeliveredService.objects.select_for_update().filter(order_id=order_id).first()
    if obj is None:
        try:
            with transaction.atomic():
                obj = DeliveredService.objects.create(order_id=order_id, **values)
            rollup.move(ROLLUPS, [], [rollup.service_contribution(rollup.instance_row(obj, rollup.SERVICE_VALUES))])
            return obj
        except IntegrityError:  # recorded meanwhile by a concurrent signal: update it below
            obj = DeliveredService.objects.select_for_update().get(order_id=order_id)
    before = rollup.service_contribution(rollup.instance_row(obj, rollup.SERVICE_VALUES))
    for key, value in values.items():
        setattr(obj, key, value)
    obj.save()
    rollup.move(ROLLUPS, [before], [rollup.service_contribution(rollup.instance_row(obj, rollup.SERVICE_VALUES))])
    return obj


def ensure_themes(rows: Iterable[dict]) -> int:
    """Create missing themes of the calendar (used by the seed and the data migration)."""
    created = 0
    for row in rows:
        _obj, was_created = Theme.objects.get_or_create(slug=row["slug"], defaults=row)
        created += was_created
    return created
