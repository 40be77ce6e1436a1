"""What the organizers and the reviewing office manage: activities, registrations, venues, places."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date

from django.db.models import Count, Q, QuerySet

from kepu.activities.models import Activity, ActivityStatus, Registration, RegistrationStatus, Session, Theme, Venue
from kepu.activities.permissions import manages
from kepu.activities.selectors._common import _day_start
from kepu.activities.selectors.calendar import CalendarFilter, filter_activities
from kepu.core.actor import Actor
from kepu.core.errors import NotFound
from kepu.core.permissions import get_visible, scope
from kepu.core.roles import AREA_ROLES, Role
from kepu.places.choices import PlaceLevel
from kepu.places.selectors import places_at


# --- Organizers and offices ------------------------------------------------------------------------------
def managed_activities(*, actor: Actor, status: str = "", f: CalendarFilter | None = None) -> QuerySet[Activity]:
    """The activities an organizer runs, or (offices) those of their area."""
    qs = scope(actor, Activity.objects.all())
    if not actor.is_city:
        own = Q(organization_id=actor.organization_id)
        if actor.role in AREA_ROLES and actor.area_path:
            own |= Q(place_path__startswith=actor.area_path)
        qs = qs.filter(own)
    if status:
        qs = qs.filter(status=status)
    if f is not None:
        qs = filter_activities(qs, f, upcoming_default=False)
    return qs.select_related("organization", "theme", "place").order_by("-starts_at", "-pk")


def review_setting_for(*, actor: Actor) -> bool | None:
    """Whether the district office's district requires review (None for everyone else)."""
    if actor.role != Role.DISTRICT_ADMIN or actor.place is None:
        return None
    from kepu.activities.models import DistrictActivitySettings

    return DistrictActivitySettings.objects.filter(district=actor.place, review_required=True).exists()


def review_queue(*, actor: Actor) -> QuerySet[Activity]:
    if not (actor.is_city or actor.role == Role.DISTRICT_ADMIN):
        return Activity.objects.none()
    return managed_activities(actor=actor, status=ActivityStatus.IN_REVIEW)


def activity_to_manage(*, actor: Actor, pk: int) -> Activity:
    activity = get_visible(actor, Activity.objects.select_related("organization", "place", "theme"), pk=pk)
    if not manages(actor, activity):
        raise NotFound()
    return activity


def registrations_of(
    *, activity: Activity, session: Session | None = None, q: str = "", status: str = ""
) -> QuerySet[Registration]:
    """A managed activity's registrations (the caller has checked ``manages``)."""
    qs = Registration.objects.filter(session__activity=activity)
    if session is not None:
        qs = qs.filter(session=session)
    if q:
        qs = qs.filter(name__icontains=q)
    if status:
        qs = qs.filter(status=status)
    return qs.select_related("session").order_by("session__starts_at", "status", "waiting_seq", "created_at")


def waiting_position(registration: Registration) -> int | None:
    if registration.status != RegistrationStatus.WAITING:
        return None
    return (
        Registration.objects.filter(
            session_id=registration.session_id,
            status=RegistrationStatus.WAITING,
            waiting_seq__lt=registration.waiting_seq,
        ).count()
        + 1
    )


def venues_for(*, actor: Actor) -> QuerySet[Venue]:
    return scope(actor, Venue.objects.select_related("organization", "place"))


def usable_venues(organization) -> QuerySet[Venue]:
    """Venues an organizer may hold an activity at: the active ones of its district (all of them for the city).

    Venues and their hours are public; a community may book the district's science museum.
    """
    qs = Venue.objects.filter(is_active=True).select_related("place")
    district = organization.place.district_code
    if district:
        qs = qs.filter(place__district_code=district)
    return qs.order_by("name")


@dataclass
class PlacePick:
    """The three steps of the place picker (district → street → community) and what each may offer."""

    districts: list = field(default_factory=list)
    streets: list = field(default_factory=list)
    communities: list = field(default_factory=list)
    district: str = ""
    street: str = ""
    community: str = ""


def place_pick(organization, *, district: str = "", street: str = "", community: str = "") -> PlacePick:
    """The choices of the place picker for ``organizer``: its own district only, unless it works city-wide.

    A step whose parent is not chosen (or not a child of the step before) offers nothing and
    drops its value, so changing the district empties the street and the community.
    """
    own = organization.place.district_code
    districts = places_at(PlaceLevel.DISTRICT)
    if own:
        districts = districts.filter(code=own)
        district = own
    pick = PlacePick(districts=list(districts.values("code", "name")))
    if district not in {d["code"] for d in pick.districts}:
        return pick
    pick.district = district
    pick.streets = list(places_at(PlaceLevel.STREET, parent_code=district).values("code", "name"))
    if street not in {s["code"] for s in pick.streets}:
        return pick
    pick.street = street
    pick.communities = list(places_at(PlaceLevel.COMMUNITY, parent_code=street).values("code", "name"))
    if community in {c["code"] for c in pick.communities}:
        pick.community = community
    return pick


def place_pick_for(organization, place) -> PlacePick:
    """The picker preset to ``place`` (editing an activity)."""
    codes = {"district": "", "street": "", "community": ""}
    node = place
    while node is not None and node.level != PlaceLevel.CITY:
        codes[node.level] = node.code
        node = node.parent
    return place_pick(organization, **codes)


# --- Theme calendar ----------------------------------------------------------------------------------------
def theme_calendar(year: int) -> list[dict]:
    themes = list(Theme.objects.filter(is_active=True).prefetch_related("occurrences"))
    rows = []
    for t in themes:
        occ = {(o.theme_id, o.year): o for o in t.occurrences.all()}
        span = t.dates(year, occ)
        rows.append({"theme": t, "start": span[0] if span else None, "end": span[1] if span else None})
    rows.sort(key=lambda r: (r["start"] is None, r["start"] or date(year, 12, 31), r["theme"].name))
    return rows


def theme_overview(*, actor: Actor, year: int) -> list[dict]:
    """Per theme, what the actor's area is doing this year: activities and sessions (offices)."""
    start, end = _day_start(date(year, 1, 1)), _day_start(date(year + 1, 1, 1))
    qs = managed_activities(actor=actor).filter(
        starts_at__gte=start, starts_at__lt=end, status=ActivityStatus.PUBLISHED, theme__isnull=False
    )
    counts = {
        r["theme"]: r
        for r in qs.order_by()
        .values("theme")
        .annotate(activities=Count("pk", distinct=True), sessions=Count("sessions"))
    }
    rows = theme_calendar(year)
    for r in rows:
        c = counts.get(r["theme"].pk, {})
        r["activities"] = c.get("activities", 0)
        r["sessions"] = c.get("sessions", 0)
    return rows
