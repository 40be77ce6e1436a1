"""Every read of the activities app, already scoped to the actor (or to the public)."""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass, field, replace
from datetime import date, datetime, time, timedelta
from urllib.parse import urlencode

from django.db.models import Count, Q, QuerySet, Sum
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _

from kepu.activities.models import (
    ATTENDANCE_FIELDS,
    Activity,
    ActivityKind,
    ActivityPopulation,
    ActivityStatus,
    ActivityTopic,
    DeliveredService,
    FiguresMonth,
    FiguresMonthDistrict,
    Registration,
    RegistrationStatus,
    Session,
    Theme,
    Topic,
    Venue,
)
from kepu.activities.permissions import ActivityAction, manages, public_q
from kepu.core import clock
from kepu.core.actor import Actor
from kepu.core.dbrouter import use_replica
from kepu.core.errors import NotFound
from kepu.core.permissions import can, get_visible, scope
from kepu.core.populations import Population
from kepu.core.roles import AREA_ROLES, Role
from kepu.places.choices import PlaceLevel
from kepu.places.selectors import place_by_code_or_none, place_names, places_at


# --- The public calendar --------------------------------------------------------------------------------
@dataclass
class CalendarFilter:
    """The calendar's filters, parsed from a query string; the same object drives the page and its feed."""

    district: str = ""
    street: str = ""
    theme: str = ""
    topic: str = ""
    population: str = ""
    kind: str = ""
    date_from: date | None = None
    date_to: date | None = None
    q: str = ""
    errors: list[str] = field(default_factory=list)

    @classmethod
    def from_query(cls, params) -> CalendarFilter:
        f = cls()
        f.district = (params.get("district") or "").strip()[:20]
        f.street = (params.get("street") or "").strip()[:20]
        f.theme = (params.get("theme") or "").strip()[:40]
        f.topic = params.get("topic") or ""
        f.population = params.get("population") or ""
        f.kind = params.get("kind") or ""
        f.q = (params.get("q") or "").strip()[:60]
        if f.topic and f.topic not in Topic.values:
            f.topic = ""
        if f.population and f.population not in Population.values:
            f.population = ""
        if f.kind and f.kind not in ActivityKind.values:
            f.kind = ""
        for key, attr in (("from", "date_from"), ("to", "date_to")):
            raw = (params.get(key) or "").strip()
            if raw:
                try:
                    setattr(f, attr, date.fromisoformat(raw))
                except ValueError:
                    f.errors.append(key)
        return f

    def as_query(self) -> dict:
        out = {
            "district": self.district,
            "street": self.street,
            "theme": self.theme,
            "topic": self.topic,
            "population": self.population,
            "kind": self.kind,
            "q": self.q,
            "from": self.date_from.isoformat() if self.date_from else "",
            "to": self.date_to.isoformat() if self.date_to else "",
        }
        return {k: v for k, v in out.items() if v}


def _day_start(d: date) -> datetime:
    return datetime.combine(d, time.min, tzinfo=timezone.get_current_timezone())


def filter_activities(qs: QuerySet, f: CalendarFilter, *, upcoming_default: bool = True) -> QuerySet:
    if f.district:
        qs = qs.filter(district_code=f.district)
    if f.street:
        street = place_by_code_or_none(f.street)
        qs = (
            qs.filter(place_path__startswith=street.path) if street and street.level == PlaceLevel.STREET else qs.none()
        )
    if f.theme:
        qs = qs.filter(theme__slug=f.theme)
    if f.topic:
        qs = qs.filter(topics__contains=f",{f.topic},")
    if f.population:
        qs = qs.filter(populations__contains=f",{f.population},")
    if f.kind:
        qs = qs.filter(kind=f.kind)
    if f.q:
        qs = qs.filter(Q(title__icontains=f.q) | Q(summary__icontains=f.q))
    if f.date_from:
        qs = qs.filter(ends_at__gte=_day_start(f.date_from))
    elif upcoming_default:
        # ``next_at`` is indexed and set only while a session has not ended.
        qs = qs.filter(next_at__isnull=False)
    if f.date_to:
        qs = qs.filter(starts_at__lt=_day_start(f.date_to + timedelta(days=1)))
    return qs


class CalendarQuerySet(QuerySet):
    """The calendar's result, which can count itself from one tag table when that table alone decides.

    With only a topic (or only a population) and dates, every listed tag row in range is one
    activity of the result; PostgreSQL would otherwise count the join by hashing all 100,000
    activities. Any further filter or a slice forgets the shortcut.
    """

    tag_count: QuerySet | None = None

    def _clone(self):
        clone = super()._clone()
        clone.tag_count = self.tag_count
        return clone

    def _filter_or_exclude(self, *args, **kwargs):
        clone = super()._filter_or_exclude(*args, **kwargs)
        clone.tag_count = None
        return clone

    def count(self):
        if self.tag_count is not None and self._result_cache is None and not self.query.is_sliced:
            return self.tag_count.count()
        return super().count()


@use_replica
def public_activities(f: CalendarFilter | None = None, *, upcoming_default: bool = True) -> QuerySet[Activity]:
    """Published public activities matching the filter, soonest first (for anyone, signed in or not).

    A topic or population filter goes through its tag table, whose rows carry the dates and
    the "listed" flag: the tag's index then gives both the filter and the order, and the
    other filters are checked on the few activities it yields.
    """
    f = f or CalendarFilter()
    qs = CalendarQuerySet(model=Activity).filter(public_q(), starts_at__isnull=False)
    by_start = bool(f.date_from) or not upcoming_default
    tag = ""
    tag_rows = []
    for relation, field_name, value in (
        ("topic_tags", "topic", f.topic),
        ("population_tags", "population", f.population),
    ):
        if not value:
            continue
        conditions = {f"{relation}__{field_name}": value, f"{relation}__listed": True}
        if f.date_from:
            conditions[f"{relation}__ends_at__gte"] = _day_start(f.date_from)
        elif upcoming_default:
            conditions[f"{relation}__next_at__isnull"] = False
        if f.date_to:
            conditions[f"{relation}__starts_at__lt"] = _day_start(f.date_to + timedelta(days=1))
        qs = qs.filter(**conditions)
        tag = tag or relation
        model = ActivityTopic if relation == "topic_tags" else ActivityPopulation
        tag_rows.append(model.objects.filter(**{k.split("__", 1)[1]: v for k, v in conditions.items()}))
    qs = filter_activities(qs, replace(f, topic="", population=""), upcoming_default=upcoming_default)
    # Upcoming: by the next session (a series shows at its next date); a chosen period: by the first.
    column = "starts_at" if by_start else "next_at"
    order = (f"{tag}__{column}", f"{tag}__activity_id") if tag else (column, "pk")
    qs = qs.select_related("organization", "theme", "place", "venue").order_by(*order)
    others = (f.district, f.street, f.theme, f.kind, f.q)
    if len(tag_rows) == 1 and not any(others):
        qs.tag_count = tag_rows[0]
    return qs


def calendar_choices() -> dict:
    return {
        "districts": list(places_at(PlaceLevel.DISTRICT).values("code", "name")),
        "themes": list(Theme.objects.filter(is_active=True).values("slug", "name")),
        "topics": Topic.choices,
        "populations": Population.choices,
        "kinds": ActivityKind.choices,
    }


def streets_of(district_code: str) -> list[dict]:
    if not district_code:
        return []
    return list(places_at(PlaceLevel.STREET, district_code=district_code).values("code", "name"))


def activity_for_visitor(*, actor: Actor, pk: int) -> Activity:
    """An activity page: public ones for everybody, others for those who may see them."""
    try:
        activity = Activity.objects.select_related("organization", "theme", "place", "venue").get(pk=pk)
    except Activity.DoesNotExist:
        raise NotFound() from None
    if activity.status == ActivityStatus.PUBLISHED and activity.is_public:
        return activity
    if actor.is_authenticated and can(actor, ActivityAction.VIEW, activity):
        return activity
    raise NotFound()


def sessions_of(activity: Activity, *, upcoming_only: bool = False) -> list[Session]:
    qs = activity.sessions.filter(is_cancelled=False)
    if upcoming_only:
        qs = qs.filter(ends_at__gte=clock.now())
    return list(qs.order_by("starts_at")[:200])


def my_registrations(*, actor: Actor, activity: Activity | None = None) -> QuerySet[Registration]:
    if not actor.is_authenticated:
        return Registration.objects.none()
    qs = Registration.objects.filter(Q(user=actor.user) | Q(registered_by=actor.user))
    if activity is not None:
        qs = qs.filter(session__activity=activity)
    return qs.select_related("session__activity").order_by("-created_at")


def registration_for(*, actor: Actor, pk: int) -> Registration:
    qs = Registration.objects.select_related("session__activity__organization", "session__activity__place")
    return get_visible(actor, qs, pk=pk)


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


# --- Figures (dashboard) -------------------------------------------------------------------------------------
@dataclass
class Figures:
    activities: int = 0
    sessions: int = 0
    registrations: int = 0
    checked_in: int = 0
    walk_ins: int = 0
    services: int = 0
    person_times: int = 0
    by_population: dict = field(default_factory=dict)
    by_month: list = field(default_factory=list)
    satisfaction: float | None = None
    survey_sum: int = 0
    survey_count: int = 0

    def add(self, other: Figures) -> None:
        for name in (
            "activities",
            "sessions",
            "registrations",
            "checked_in",
            "walk_ins",
            "services",
            "person_times",
            "survey_sum",
            "survey_count",
        ):
            setattr(self, name, getattr(self, name) + getattr(other, name))
        for p in Population.values:
            self.by_population[p] = self.by_population.get(p, 0) + other.by_population.get(p, 0)
        months = defaultdict(int, self.by_month)
        for m, n in other.by_month:
            months[m] += n
        self.by_month = sorted((m, n) for m, n in months.items() if n)
        self.satisfaction = round(self.survey_sum / self.survey_count, 2) if self.survey_count else None


def _session_area(actor: Actor) -> QuerySet[Session]:
    """Sessions whose figures the actor may see: the area for offices, their own organization's otherwise."""
    qs = Session.objects.filter(counted=True, is_cancelled=False)
    if actor.is_city:
        return qs
    if actor.role in AREA_ROLES and actor.area_path:
        if actor.role == Role.DISTRICT_ADMIN and actor.place is not None:
            return qs.filter(district_code=actor.place.district_code or actor.place.code)
        return qs.filter(place_path__startswith=actor.area_path)
    return qs.filter(organization_id_copy=actor.organization_id)


def _service_area(actor: Actor) -> QuerySet[DeliveredService]:
    qs = DeliveredService.objects.filter(activity__isnull=True)  # those delivered as an activity count there
    if actor.is_city:
        return qs
    if actor.role in AREA_ROLES and actor.area_path:
        return qs.filter(place_path__startswith=actor.area_path)
    return qs.filter(organization_id=actor.organization_id)


def _months(first: date, last: date) -> list[tuple[date, date]]:
    out = []
    cursor = first.replace(day=1)
    while cursor <= last:
        following = (cursor + timedelta(days=32)).replace(day=1)
        out.append((cursor, following))
        cursor = following
    return out


def _theme_id(slug: str) -> int:
    return Theme.objects.filter(slug=slug).values_list("pk", flat=True).first() or 0


TALLY_SUMS = {
    "registered": Sum("registered"),
    "checked_in": Sum("checked_in"),
    "walk_ins": Sum("walk_in_count"),
    "survey_sum": Sum("survey_sum"),
    "survey_count": Sum("survey_count"),
    **{p: Sum(f) for p, f in ATTENDANCE_FIELDS.items()},
}


def _rollup_area(actor: Actor) -> QuerySet[FiguresMonth]:
    """The roll-up rows whose figures the actor may see (the same areas as ``_session_area``)."""
    qs = FiguresMonth.objects.all()
    if actor.is_city:
        return qs
    if actor.role in AREA_ROLES and actor.area_path:
        if actor.role == Role.DISTRICT_ADMIN and actor.place is not None:
            return qs.filter(district_code=actor.place.district_code or actor.place.code)
        return qs.filter(place_path__startswith=actor.area_path)
    return qs.filter(organization_id=actor.organization_id)


ROLLUP_SUMS = {
    "activities": Sum("activities"),
    "sessions": Sum("sessions"),
    "services": Sum("services"),
    "registered": Sum("registered"),
    "checked_in": Sum("checked_in"),
    "walk_ins": Sum("walk_ins"),
    "survey_sum": Sum("survey_sum"),
    "survey_count": Sum("survey_count"),
    **{p: Sum(f) for p, f in ATTENDANCE_FIELDS.items()},
}


def _figures_rollup(
    *,
    actor: Actor,
    first_month: date,
    end_month: date,
    theme: str,
    organization_id: int | None,
    district: str,
    place_path: str = "",
) -> Figures:
    """Whole months from the roll-up: one grouped query (a row per month) instead of every session.

    The city and district offices, without an organizer filter, read the district table
    (a row per month, district and theme); everyone else the finer one.
    """
    whole_districts = (
        not organization_id
        and not place_path
        and (actor.is_city or (actor.role == Role.DISTRICT_ADMIN and actor.place is not None))
    )
    if whole_districts:
        rows = FiguresMonthDistrict.objects.filter(month__gte=first_month, month__lt=end_month)
        if not actor.is_city:
            rows = rows.filter(district_code=actor.place.district_code or actor.place.code)
    else:
        rows = _rollup_area(actor).filter(month__gte=first_month, month__lt=end_month)
    if theme:
        rows = rows.filter(theme_id=_theme_id(theme))  # delivered orders have no theme: left out, as before
    if organization_id:
        rows = rows.filter(organization_id=organization_id)
    if district:
        rows = rows.filter(district_code=district)
    if place_path:
        rows = rows.filter(place_path__startswith=place_path)
    fig = Figures(by_population={p: 0 for p in Population.values})
    months = []
    for r in rows.values("month").annotate(**ROLLUP_SUMS).order_by("month"):
        fig.activities += r["activities"] or 0
        fig.services += r["services"] or 0
        fig.sessions += (r["sessions"] or 0) + (r["services"] or 0)
        fig.registrations += r["registered"] or 0
        fig.checked_in += r["checked_in"] or 0
        fig.walk_ins += r["walk_ins"] or 0
        fig.survey_sum += r["survey_sum"] or 0
        fig.survey_count += r["survey_count"] or 0
        for p in Population.values:
            fig.by_population[p] += r[p] or 0
        if (r["sessions"] or 0) + (r["services"] or 0):
            months.append((r["month"], (r["sessions"] or 0) + (r["services"] or 0)))
    fig.person_times = sum(fig.by_population.values())
    fig.by_month = months
    fig.satisfaction = round(fig.survey_sum / fig.survey_count, 2) if fig.survey_count else None
    return fig


@use_replica
def figures(
    *,
    actor: Actor,
    date_from: date,
    date_to: date,
    theme: str = "",
    organization_id: int | None = None,
    activity_id: int | None = None,
    district: str = "",
    place_path: str = "",
) -> Figures:
    """Sessions (场), registrations, check-ins and person-times (人次) by population, counted once each.

    The whole months of the period come from the monthly roll-up (``FiguresMonth``); the
    days before the first and after the last whole month, and the figures of one activity,
    from the sessions themselves. Both are kept by the same services, so they agree.
    """
    if activity_id:
        return _figures_sessions(
            actor=actor,
            date_from=date_from,
            date_to=date_to,
            theme=theme,
            organization_id=organization_id,
            activity_id=activity_id,
            district=district,
        )
    months, edges = _split_period(date_from, date_to)
    if months is None:
        return _figures_sessions(
            actor=actor,
            date_from=date_from,
            date_to=date_to,
            theme=theme,
            organization_id=organization_id,
            district=district,
            place_path=place_path,
        )
    fig = _figures_rollup(
        actor=actor,
        first_month=months[0],
        end_month=months[1],
        theme=theme,
        organization_id=organization_id,
        district=district,
        place_path=place_path,
    )
    for d1, d2 in edges:
        fig.add(
            _figures_sessions(
                actor=actor,
                date_from=d1,
                date_to=d2,
                theme=theme,
                organization_id=organization_id,
                district=district,
                place_path=place_path,
            )
        )
    return fig


def _split_period(date_from: date, date_to: date) -> tuple[tuple[date, date] | None, list[tuple[date, date]]]:
    """The whole months of a period for the roll-up, and the days around them for the sessions.

    The months are (first day of the first whole month, first day of the month after the last
    one), None when the period holds no whole month; then the days are the whole period. Empty
    day ranges are left out.
    """
    first_month = date_from if date_from.day == 1 else (date_from.replace(day=1) + timedelta(days=32)).replace(day=1)
    end_month = (date_to + timedelta(days=1)).replace(day=1)  # the first day of the month after the last whole one
    if end_month <= first_month:
        return None, [(date_from, date_to)] if date_from <= date_to else []
    edges = [(date_from, first_month - timedelta(days=1)), (end_month, date_to)]
    return (first_month, end_month), [(d1, d2) for d1, d2 in edges if d1 <= d2]


def _figures_sessions(
    *,
    actor: Actor,
    date_from: date,
    date_to: date,
    theme: str = "",
    organization_id: int | None = None,
    activity_id: int | None = None,
    district: str = "",
    place_path: str = "",
) -> Figures:
    """The same figures summed from the sessions (and delivered orders) of the period.

    A session counts in the period it starts in. Person-times are the head counts of
    checked-in registrations plus the walk-ins staff counted (both kept on the session by
    the services), plus the attendance of delivered service orders that were not delivered
    as one of our activities.
    """
    start, end = _day_start(date_from), _day_start(date_to + timedelta(days=1))
    sessions, services = _period_records(
        actor, start, end, theme=theme, organization_id=organization_id, district=district, activity_id=activity_id,
        place_path=place_path,
    )  # fmt: skip
    agg = sessions.aggregate(n=Count("pk"), first=Count("pk", filter=Q(is_first=True)), **TALLY_SUMS)
    fig = Figures()
    fig.sessions = agg["n"]
    # An activity counts once, in the period its first session starts in.
    fig.activities = agg["first"]
    fig.registrations = agg["registered"] or 0
    fig.checked_in = agg["checked_in"] or 0
    fig.walk_ins = agg["walk_ins"] or 0
    by_pop = {p: agg[p] or 0 for p in Population.values}
    fig.services = 0
    service_months: dict[date, int] = defaultdict(int)
    for delivered_at, attendance in services.values_list("delivered_at", "attendance"):
        fig.services += 1
        service_months[timezone.localtime(delivered_at).date().replace(day=1)] += 1
        for pop, n in (attendance or {}).items():
            if pop in by_pop:
                by_pop[pop] += int(n)
    fig.by_population = by_pop
    fig.person_times = sum(by_pop.values())
    fig.sessions += fig.services
    months: dict[date, int] = defaultdict(int, service_months)
    if agg["n"]:
        # One indexed range count per month: truncating dates row by row is slow on SQLite.
        for m_start, m_end in _months(date_from, date_to)[:36]:
            n = sessions.filter(
                starts_at__gte=max(_day_start(m_start), start), starts_at__lt=min(_day_start(m_end), end)
            ).count()
            if n:
                months[m_start] += n
    fig.by_month = sorted(months.items())
    fig.survey_sum, fig.survey_count = agg["survey_sum"] or 0, agg["survey_count"] or 0
    fig.satisfaction = round(agg["survey_sum"] / agg["survey_count"], 2) if agg["survey_count"] else None
    return fig


def _period_records(
    actor: Actor,
    start: datetime,
    end: datetime,
    *,
    theme: str = "",
    organization_id: int | None = None,
    district: str = "",
    activity_id: int | None = None,
    place_path: str = "",
) -> tuple[QuerySet[Session], QuerySet[DeliveredService]]:
    """The sessions starting and the orders delivered (not as an activity) from ``start`` to ``end``, filtered.

    Delivered orders have no theme and no activity: either filter leaves them out.
    """
    sessions = _session_area(actor).filter(starts_at__gte=start, starts_at__lt=end)
    services = _service_area(actor).filter(delivered_at__gte=start, delivered_at__lt=end)
    if theme:
        sessions = sessions.filter(theme_id_copy=_theme_id(theme))
        services = services.none()
    if organization_id:
        sessions = sessions.filter(organization_id_copy=organization_id)
        services = services.filter(organization_id=organization_id)
    if district:
        sessions = sessions.filter(district_code=district)
        services = services.filter(district_code=district)
    if place_path:
        sessions = sessions.filter(place_path__startswith=place_path)
        services = services.filter(place_path__startswith=place_path)
    if activity_id:
        sessions = sessions.filter(activity_id=activity_id)
        services = services.none()
    return sessions, services


def figures_by_activity(
    *,
    actor: Actor,
    date_from: date,
    date_to: date,
    theme: str = "",
    organization_id: int | None = None,
    limit: int = 5000,
) -> list[dict]:
    """One row per activity (the latest first) with its sessions in the period: for the table and the Excel export."""
    start, end = _day_start(date_from), _day_start(date_to + timedelta(days=1))
    sessions = _session_area(actor).filter(starts_at__gte=start, starts_at__lt=end)
    if theme:
        sessions = sessions.filter(theme_id_copy=_theme_id(theme))
    if organization_id:
        sessions = sessions.filter(organization_id_copy=organization_id)
    ids = []
    for activity_id in sessions.order_by("-starts_at").values_list("activity_id", flat=True)[: limit * 4]:
        if activity_id not in ids:
            ids.append(activity_id)
            if len(ids) >= limit:
                break
    acts = Activity.objects.in_bulk(ids)
    # Every session of an activity carries the same copied area, organizer and theme, so the
    # ids alone select the rows; repeating the area filter would make the planner walk the
    # area's whole period instead of 20 activities' sessions.
    of_ids = Session.objects.filter(
        counted=True, is_cancelled=False, activity_id__in=ids, starts_at__gte=start, starts_at__lt=end
    )
    rows = {r["activity_id"]: r for r in of_ids.values("activity_id").annotate(n=Count("pk"), **TALLY_SUMS).order_by()}
    out = []
    for activity_id in ids:
        a, r = acts.get(activity_id), rows.get(activity_id)
        if a is None or r is None:
            continue
        pops = {p: r[p] or 0 for p in Population.values}
        out.append(
            {
                "activity": a,
                "sessions": r["n"],
                "registrations": r["registered"] or 0,
                "checked_in": r["checked_in"] or 0,
                "walk_ins": r["walk_ins"] or 0,
                "person_times": sum(pops.values()),
                "by_population": pops,
            }
        )
    return out


#: How the dashboard can break its figures down: by place (the level below the viewer's area), organizer or theme.
BREAKDOWNS = ("place", "organization", "theme")
_BREAKDOWN_FIELDS = {
    "place": ("place_path", "place_path"),
    "organization": ("organization_id", "organization_id_copy"),
    "theme": ("theme_id", "theme_id_copy"),
}


def _group_depth(actor: Actor) -> int:
    """Path segments that name a place group: districts for the city, streets for a district, else communities."""
    if actor.is_city:
        return 2
    if actor.role in AREA_ROLES and actor.area_path:
        return min(actor.area_path.rstrip("/").count("/") + 2, 4)
    return 3


def figures_breakdown(
    *, actor: Actor, date_from: date, date_to: date, by: str, theme: str = "", organization_id: int | None = None
) -> list[dict]:
    """The dashboard's figures split by place, organizer or theme; the rows add up to ``figures()``.

    Whole months come from the fine roll-up (grouped in the database), the edge days from the
    sessions and delivered orders, exactly as ``figures()`` splits the period. Person-times and
    sessions of delivered orders count where the order was delivered; they have no theme.
    """
    groups = _Breakdown(by if by in BREAKDOWNS else "place", _group_depth(actor))
    months, edges = _split_period(date_from, date_to)
    if months is not None:
        _breakdown_months(groups, actor, months, theme=theme, organization_id=organization_id)
    for d1, d2 in edges:
        _breakdown_days(groups, actor, d1, d2, theme=theme, organization_id=organization_id)
    return groups.rows()


class _Breakdown:
    """The dashboard's counts summed per group: a place group (at ``depth`` path segments), an organizer or a theme."""

    FIELDS = ("sessions", "activities", "registrations", "checked_in", "walk_ins", "services", "person_times")

    def __init__(self, by: str, depth: int):
        self.by, self.depth = by, depth
        self.groups: dict = defaultdict(lambda: defaultdict(int))

    def key_of(self, value):
        if self.by == "place":  # a place above the group level (an activity of the whole district) is its own group
            return "/".join([part for part in (value or "").split("/") if part][: self.depth]) + "/"
        return value or 0

    def add(self, value, **counts: int) -> None:
        group = self.groups[self.key_of(value)]
        for name, n in counts.items():
            group[name] += n

    def rows(self) -> list[dict]:
        """One row per group with a count, labelled, the most person-times first."""
        keys = [k for k, g in self.groups.items() if any(g.values())]
        labels = self._labels(keys)
        rows = [
            {
                "key": k,
                "label": labels.get(k) or (_("No theme") if self.by == "theme" else _("Not given")),
                **{f: self.groups[k][f] for f in self.FIELDS},
            }
            for k in keys
        ]
        return sorted(rows, key=lambda r: (-r["person_times"], -r["sessions"], str(r["label"])))

    def _labels(self, keys: list) -> dict:
        if self.by == "place":
            return place_names(keys)
        if self.by == "organization":
            from kepu.orgs.selectors import organization_names

            return organization_names(keys)
        return dict(Theme.objects.filter(pk__in=[k for k in keys if k]).values_list("pk", "name"))


def _tally_counts(row: dict, *, sessions: str, activities: str) -> dict[str, int]:
    """A grouped row of session tallies (roll-up or sessions) as the dashboard's counts."""
    return {
        "sessions": row[sessions] or 0,
        "activities": row[activities] or 0,
        "registrations": row["registered"] or 0,
        "checked_in": row["checked_in"] or 0,
        "walk_ins": row["walk_ins"] or 0,
        "person_times": sum(row[p] or 0 for p in Population.values),
    }


def _breakdown_months(
    groups: _Breakdown, actor: Actor, months: tuple[date, date], *, theme: str, organization_id: int | None
) -> None:
    """Whole months from the fine roll-up, grouped in the database; delivered orders are sessions there too."""
    field_name = _BREAKDOWN_FIELDS[groups.by][0]
    rows = _rollup_area(actor).filter(month__gte=months[0], month__lt=months[1])
    if theme:
        rows = rows.filter(theme_id=_theme_id(theme))
    if organization_id:
        rows = rows.filter(organization_id=organization_id)
    for r in rows.values(field_name).annotate(**ROLLUP_SUMS).order_by():
        counts = _tally_counts(r, sessions="sessions", activities="activities")
        services = r["services"] or 0
        counts["sessions"] += services
        groups.add(r[field_name], **counts, services=services)


def _breakdown_days(
    groups: _Breakdown, actor: Actor, date_from: date, date_to: date, *, theme: str, organization_id: int | None
) -> None:
    """Days outside whole months from the sessions (grouped in the database) and the delivered orders (one by one)."""
    start, end = _day_start(date_from), _day_start(date_to + timedelta(days=1))
    sessions, services = _period_records(actor, start, end, theme=theme, organization_id=organization_id)
    field_name = _BREAKDOWN_FIELDS[groups.by][1]
    for r in (
        sessions.values(field_name)
        .order_by()
        .annotate(n=Count("pk"), first=Count("pk", filter=Q(is_first=True)), **TALLY_SUMS)
    ):
        groups.add(r[field_name], **_tally_counts(r, sessions="n", activities="first"))
    # Delivered orders have a place and an organizer but no theme.
    service_field = {"place": "place_path", "organization": "organization_id"}.get(groups.by)
    for value, attendance in services.values_list(service_field or "pk", "attendance"):
        person_times = sum(int(n) for p, n in (attendance or {}).items() if p in Population.values)
        groups.add(value if service_field else 0, sessions=1, services=1, person_times=person_times)


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


# --- Home pages: what is on near me, my tickets, and the to-dos (待办) ---------------------------------------
def _home_district(actor: Actor) -> str:
    """The district code of the person's home (their community, or their organization's place)."""
    if not actor.is_authenticated:
        return ""
    place = actor.user.home_place or actor.place
    return place.district_code if place is not None else ""


def this_week_near(actor: Actor, *, limit: int = 4) -> dict | None:
    """Public activities of the coming seven days, in the person's district when it is known (else the city's)."""
    today = timezone.localdate()
    district = _home_district(actor)
    f = CalendarFilter(district=district, date_from=today, date_to=today + timedelta(days=6))
    activities = list(public_activities(f)[:limit])
    if not activities and district:  # nothing in the district this week: the city's
        f.district = ""
        activities = list(public_activities(f)[:limit])
    more = reverse("activities:calendar") + "?" + urlencode(f.as_query())
    return {"activities": activities, "more_url": more, "district": bool(f.district)}


def my_next_tickets(actor: Actor, *, limit: int = 3) -> dict | None:
    """The person's coming sessions with a ticket (confirmed, offered, waiting or pending), soonest first."""
    if not actor.is_authenticated:
        return None
    alive = (
        RegistrationStatus.CONFIRMED,
        RegistrationStatus.OFFERED,
        RegistrationStatus.WAITING,
        RegistrationStatus.PENDING,
    )
    regs = list(
        Registration.objects.filter(user=actor.user, status__in=alive, session__ends_at__gte=timezone.now())
        .select_related("session__activity")
        .order_by("session__starts_at")[:limit]
    )
    return {"registrations": regs} if regs else None


def resident_todos(actor: Actor) -> list:
    """A resident's next step on their sign-ups: accept a freed place before the offer lapses."""
    from kepu.core.home import Todo

    offers = list(
        Registration.objects.filter(user=actor.user, status=RegistrationStatus.OFFERED)
        .select_related("session__activity")
        .order_by("offer_expires_at")[:5]
    )
    return [
        Todo(
            label=_("A place is free for %(title)s: confirm by %(when)s")
            % {
                "title": r.session.activity.title,
                "when": timezone.localtime(r.offer_expires_at).strftime("%m-%d %H:%M") if r.offer_expires_at else "",
            },
            count=1,
            url=reverse("activities:ticket", args=[r.pk]),
            oldest=r.updated_at,
            key=f"activities-offer-{r.pk}",
        )
        for r in offers
    ]


def worker_todos(actor: Actor) -> list:
    """Sign-ups to approve, reports due after an activity, drafts to submit; activities to review (offices)."""
    from django.db.models import Min
    from django.utils.translation import gettext_lazy as _

    from kepu.core.home import Todo

    manage = reverse("activities:manage")
    managed = managed_activities(actor=actor).order_by()
    out = []
    pending = Registration.objects.filter(
        session__activity__in=managed.values("pk"), status=RegistrationStatus.PENDING
    ).order_by()
    row = pending.aggregate(n=Count("pk"), oldest=Min("created_at"))
    out.append(Todo(_("Sign-ups to approve"), row["n"], manage, row["oldest"], key="activities-signups"))
    ended = managed.filter(status=ActivityStatus.PUBLISHED, ends_at__lt=timezone.now(), report__isnull=True)
    if not (actor.is_city or actor.role == Role.DISTRICT_ADMIN):  # offices do not write other organizers' reports
        row = ended.filter(organization_id=actor.organization_id).aggregate(n=Count("pk"), oldest=Min("ends_at"))
        out.append(Todo(_("Reports due after an activity"), row["n"], manage, row["oldest"], key="activities-reports"))
        row = managed.filter(status=ActivityStatus.DRAFT, organization_id=actor.organization_id).aggregate(
            n=Count("pk"), oldest=Min("created_at")
        )
        out.append(
            Todo(_("Drafts not yet sent"), row["n"], manage + "?status=draft", row["oldest"], key="activities-drafts")
        )
    review = review_queue(actor=actor).order_by()
    row = review.aggregate(n=Count("pk"), oldest=Min("updated_at"))
    out.append(Todo(_("Activities to review"), row["n"], manage, row["oldest"], key="activities-review"))
    return out


def personal_data(user) -> list[dict]:
    """A person's sign-ups (and their ratings), for their own download ("My data")."""
    rows = Registration.objects.filter(user=user).select_related("session__activity").order_by("created_at")
    out = []
    for r in rows:
        survey = getattr(r, "survey", None)
        out.append(
            {
                "activity": r.session.activity.title,
                "session": r.session.starts_at.isoformat(),
                "status": str(r.get_status_display()),
                "population": str(r.get_population_display()),
                "head_count": r.head_count,
                "checked_in_at": r.checked_in_at.isoformat() if r.checked_in_at else None,
                "rating": survey.score if survey else None,
                "signed_up_at": r.created_at.isoformat(),
            }
        )
    return out
