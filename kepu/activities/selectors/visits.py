"""Visit booking and what was held at a venue or by an organization (for the bases and the leaders)."""

from __future__ import annotations

from datetime import date, datetime, time, timedelta

from django.db.models import Count, Q, QuerySet, Sum
from django.utils import timezone

from kepu.activities.models import (
    ATTENDANCE_FIELDS,
    Activity,
    ActivityKind,
    ActivityStatus,
    Registration,
    RegistrationStatus,
    Session,
    Venue,
)


# --- Venues seen from other apps (science bases) -----------------------------------------------------------
# A science base (kepu.bases) is a venue here: its hours, its visit slots and their bookings are ours, and the
# bases app reads them through these functions only. "Counted" sessions are those of published activities that
# were not cancelled; a figure counts only sessions that have started by ``until`` (what has happened).
def _local_day_bounds(first_day: date, last_day: date) -> tuple[datetime, datetime]:
    tz = timezone.get_current_timezone()
    return datetime.combine(first_day, time.min, tzinfo=tz), datetime.combine(
        last_day + timedelta(days=1), time.min, tzinfo=tz
    )


def venue_hours(venue_ids) -> dict[int, dict]:
    """``{venue id: {"opening_hours", "slot_minutes", "slot_capacity", "is_active"}}`` (public facts of venues)."""
    ids = [i for i in venue_ids if i]
    rows = Venue.objects.filter(pk__in=ids).values("pk", "opening_hours", "slot_minutes", "slot_capacity", "is_active")
    return {r.pop("pk"): r for r in rows}


def visit_activities_of(venue_ids) -> dict[int, int]:
    """``{venue id: id of its visit-booking activity}`` for venues whose booking is published (the booking button)."""
    ids = [i for i in venue_ids if i]
    rows = (
        Activity.objects.filter(venue_id__in=ids, kind=ActivityKind.VISIT, status=ActivityStatus.PUBLISHED)
        .order_by("venue_id", "pk")
        .values_list("venue_id", "pk")
    )
    out: dict[int, int] = {}
    for venue_id, pk in rows:
        out.setdefault(venue_id, pk)
    return out


def venue_ids_open_between(start: datetime, end: datetime) -> list[int]:
    """The venues with a bookable visit slot starting in [start, end): one range scan of the slots by start."""
    return list(
        Session.objects.filter(
            starts_at__gte=start,
            starts_at__lt=end,
            counted=True,
            is_cancelled=False,
            activity__kind=ActivityKind.VISIT,
            activity__registration_closes_at__isnull=True,
        )
        .order_by()
        .values_list("activity__venue_id", flat=True)
        .distinct()
    )


def venue_visit_sessions(venue_id: int | None, first_day: date, last_day: date, until: datetime) -> QuerySet[Session]:
    """The venue's visit slots in the period that have started by ``until`` (not cancelled, of a published booking)."""
    if not venue_id:
        return Session.objects.none()
    start, end = _local_day_bounds(first_day, last_day)
    return (
        Session.objects.filter(
            activity__venue_id=venue_id,
            activity__kind=ActivityKind.VISIT,
            counted=True,
            is_cancelled=False,
            starts_at__gte=start,
            starts_at__lt=min(end, until),
        )
        .select_related("activity")
        .order_by("starts_at", "pk")
    )


def _local_days(sessions: QuerySet[Session], *fields: str) -> int:
    """How many distinct (…, local day) the sessions fall on, counted by the database (days in local time)."""
    from django.db.models.functions import TruncDate

    day = TruncDate("starts_at", tzinfo=timezone.get_current_timezone())
    keys = [f for f in fields if f != "starts_at"]
    return sessions.order_by().annotate(day=day).values(*keys, "day").distinct().count()


def _person_times():
    from django.db.models import F

    return sum((F(field) for field in ATTENDANCE_FIELDS.values()), start=0)


def venue_visit_figures(venue_id: int | None, first_day: date, last_day: date, until: datetime) -> dict:
    """Open days (local days with a visit slot), slots, people booked (confirmed or checked in), checked in,
    walk-ins and visitors (checked in + walk-ins) of the venue's visit booking in the period, from the
    tallies each session keeps under its lock."""
    sessions = venue_visit_sessions(venue_id, first_day, last_day, until)
    agg = sessions.aggregate(
        slots=Count("pk"), checked_in=Sum("checked_in"), walk_ins=Sum("walk_in_count"), visitors=Sum(_person_times())
    )
    booked = (
        Registration.objects.filter(session__in=sessions.values("pk"))
        .filter(Q(status=RegistrationStatus.CONFIRMED) | Q(checked_in_at__isnull=False))
        .aggregate(n=Sum("head_count"))["n"]
    )
    return {
        "open_days": _local_days(sessions, "starts_at"),
        "slots": agg["slots"] or 0,
        "bookings": booked or 0,
        "checked_in": agg["checked_in"] or 0,
        "walk_ins": agg["walk_ins"] or 0,
        "visitors": agg["visitors"] or 0,
    }


def venue_visit_totals(venue_ids, first_day: date, last_day: date, until: datetime) -> dict:
    """Open days and visitors summed over many venues (a district's bases, for plan targets).

    Summed from the grouped query (``venue_visit_by_venue``): reading every slot's start into Python took
    5.3 s for a city's 552,000 slots on PostgreSQL (bench/bases)."""
    per_venue = venue_visit_by_venue(venue_ids, first_day, last_day, until).values()
    return {k: sum(v[k] for v in per_venue) for k in ("open_days", "visitors")}


def venue_visit_by_venue(venue_ids, first_day: date, last_day: date, until: datetime) -> dict[int, dict]:
    """Open days and visitors of each venue (only those with a slot in the period), one grouped query for all:
    the statistics count every base of a district at once."""
    from django.db.models.functions import TruncDate

    ids = sorted({i for i in venue_ids if i})
    if not ids:
        return {}
    start, end = _local_day_bounds(first_day, last_day)
    sessions = Session.objects.filter(
        activity__venue_id__in=ids,
        activity__kind=ActivityKind.VISIT,
        counted=True,
        is_cancelled=False,
        starts_at__gte=start,
        starts_at__lt=min(end, until),
    ).order_by()
    day = TruncDate("starts_at", tzinfo=timezone.get_current_timezone())
    rows = sessions.values("activity__venue_id").annotate(n=Sum(_person_times()), days=Count(day, distinct=True))
    return {r["activity__venue_id"]: {"open_days": r["days"], "visitors": r["n"] or 0} for r in rows}


def activities_at(venue_id: int | None, organization_id: int) -> QuerySet[Activity]:
    """Activities held at the venue or organized by the organization (its visit booking included)."""
    q = Q(organization_id=organization_id)
    if venue_id:
        q |= Q(venue_id=venue_id)
    return Activity.objects.filter(q)


def held_sessions_at(
    venue_id: int | None, organization_id: int, first_day: date, last_day: date, until: datetime
) -> QuerySet[Session]:
    """Sessions of activities (not visit slots) organized by the organization or held at the venue, held in the
    period: counted, not cancelled, started by ``until``."""
    start, end = _local_day_bounds(first_day, last_day)
    return (
        Session.objects.filter(
            activity__in=activities_at(venue_id, organization_id).exclude(kind=ActivityKind.VISIT).values("pk"),
            counted=True,
            is_cancelled=False,
            starts_at__gte=start,
            starts_at__lt=min(end, until),
        )
        .select_related("activity")
        .order_by("starts_at", "pk")
    )


def held_figures_at(
    venue_id: int | None, organization_id: int, first_day: date, last_day: date, until: datetime
) -> dict:
    agg = held_sessions_at(venue_id, organization_id, first_day, last_day, until).aggregate(
        sessions=Count("pk"), person_times=Sum(_person_times())
    )
    return {"activities": agg["sessions"] or 0, "person_times": agg["person_times"] or 0}
