"""Visit booking (预约参观): venues, their opening hours and the visit slots published from them."""

from __future__ import annotations

from datetime import date, datetime, time, timedelta

from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from kepu.activities.models import HOLDING, Activity, ActivityKind, ActivityStatus, Registration, Session, Venue
from kepu.activities.permissions import VenueAction
from kepu.activities.services.authoring import _copy_fields, _refresh_span, _sessions_added, activity_submit, sync_tags
from kepu.activities.workflow import ACTIVITY
from kepu.core import clock
from kepu.core.actor import Actor
from kepu.core.audit import log_action
from kepu.core.errors import DomainError
from kepu.core.permissions import require


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
