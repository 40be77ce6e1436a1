"""Every read of the activities app, already scoped to the actor (or to the public)."""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass, field
from datetime import date, datetime, time, timedelta

from django.db.models import Count, Q, QuerySet, Sum
from django.db.models.functions import TruncMonth
from django.utils import timezone

from kepu.activities.models import (
    ACTIVE,
    Activity,
    ActivityKind,
    ActivityStatus,
    DeliveredService,
    Registration,
    RegistrationStatus,
    Session,
    Theme,
    Topic,
    Venue,
    WalkIn,
)
from kepu.activities.permissions import ActivityAction, manages, public_q
from kepu.core.actor import Actor
from kepu.core.errors import NotFound
from kepu.core.permissions import can, get_visible, scope
from kepu.core.populations import Population
from kepu.core.roles import AREA_ROLES, Role
from kepu.places.models import Place, PlaceLevel


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

    KEYS = ("district", "street", "theme", "topic", "population", "kind", "from", "to", "q")

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
        out = {"district": self.district, "street": self.street, "theme": self.theme, "topic": self.topic,
               "population": self.population, "kind": self.kind, "q": self.q,
               "from": self.date_from.isoformat() if self.date_from else "",
               "to": self.date_to.isoformat() if self.date_to else ""}
        return {k: v for k, v in out.items() if v}


def _day_start(d: date) -> datetime:
    return datetime.combine(d, time.min, tzinfo=timezone.get_current_timezone())


def filter_activities(qs: QuerySet, f: CalendarFilter, *, upcoming_default: bool = True) -> QuerySet:
    if f.district:
        qs = qs.filter(district_code=f.district)
    if f.street:
        street = Place.objects.filter(code=f.street, level=PlaceLevel.STREET).only("path").first()
        qs = qs.filter(place_path__startswith=street.path) if street else qs.none()
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
        qs = qs.filter(ends_at__gte=timezone.now())
    if f.date_to:
        qs = qs.filter(starts_at__lt=_day_start(f.date_to + timedelta(days=1)))
    return qs


def public_activities(f: CalendarFilter | None = None, *, upcoming_default: bool = True) -> QuerySet[Activity]:
    """Published public activities matching the filter, soonest first (for anyone, signed in or not)."""
    qs = Activity.objects.filter(public_q(), starts_at__isnull=False)
    qs = filter_activities(qs, f or CalendarFilter(), upcoming_default=upcoming_default)
    return qs.select_related("organization", "theme", "place", "venue").order_by("starts_at", "pk")


def calendar_choices() -> dict:
    return {
        "districts": list(Place.objects.filter(level=PlaceLevel.DISTRICT).order_by("code").values("code", "name")),
        "themes": list(Theme.objects.filter(is_active=True).values("slug", "name")),
        "topics": Topic.choices,
        "populations": Population.choices,
        "kinds": ActivityKind.choices,
    }


def streets_of(district_code: str) -> list[dict]:
    if not district_code:
        return []
    return list(Place.objects.filter(level=PlaceLevel.STREET, district_code=district_code).order_by("code")
                .values("code", "name"))


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
        qs = qs.filter(ends_at__gte=timezone.now())
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


def review_queue(*, actor: Actor) -> QuerySet[Activity]:
    if not (actor.is_city or actor.role == Role.DISTRICT_ADMIN):
        return Activity.objects.none()
    return managed_activities(actor=actor, status=ActivityStatus.IN_REVIEW)


def activity_to_manage(*, actor: Actor, pk: int) -> Activity:
    activity = get_visible(actor, Activity.objects.select_related("organization", "place", "theme"), pk=pk)
    if not manages(actor, activity):
        raise NotFound()
    return activity


def registrations_of(*, activity: Activity, session: Session | None = None, q: str = "",
                     status: str = "") -> QuerySet[Registration]:
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
    return Registration.objects.filter(session_id=registration.session_id, status=RegistrationStatus.WAITING,
                                       waiting_seq__lt=registration.waiting_seq).count() + 1


def venues_for(*, actor: Actor) -> QuerySet[Venue]:
    return scope(actor, Venue.objects.select_related("organization", "place"))


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
    qs = managed_activities(actor=actor).filter(starts_at__gte=start, starts_at__lt=end,
                                                status=ActivityStatus.PUBLISHED, theme__isnull=False)
    counts = {r["theme"]: r for r in qs.order_by().values("theme").annotate(activities=Count("pk", distinct=True),
                                                                             sessions=Count("sessions"))}
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
    by_theme: list = field(default_factory=list)
    satisfaction: float | None = None


def _activity_area(actor: Actor) -> QuerySet[Activity]:
    """The activities whose figures the actor may see: the area for offices, their own for organizers."""
    qs = Activity.objects.filter(status=ActivityStatus.PUBLISHED)
    if actor.is_city:
        return qs
    if actor.role in AREA_ROLES and actor.area_path:
        return qs.filter(place_path__startswith=actor.area_path)
    return qs.filter(organization_id=actor.organization_id)


def _service_area(actor: Actor) -> QuerySet[DeliveredService]:
    qs = DeliveredService.objects.filter(activity__isnull=True)  # those delivered as an activity count there
    if actor.is_city:
        return qs
    if actor.role in AREA_ROLES and actor.area_path:
        return qs.filter(place_path__startswith=actor.area_path)
    return qs.filter(organization_id=actor.organization_id)


def figures(*, actor: Actor, date_from: date, date_to: date, theme: str = "", organization_id: int | None = None,
            activity_id: int | None = None, district: str = "") -> Figures:
    """Sessions (场), registrations, check-ins and person-times (人次) by population, counted once each.

    A session counts in the period it starts in. Person-times are the head counts of
    checked-in registrations plus the walk-ins staff counted, plus the attendance of
    delivered service orders that were not delivered as one of our activities.
    """
    start, end = _day_start(date_from), _day_start(date_to + timedelta(days=1))
    acts = _activity_area(actor)
    services = _service_area(actor).filter(delivered_at__gte=start, delivered_at__lt=end)
    if theme:
        acts = acts.filter(theme__slug=theme)
        services = services.none()
    if organization_id:
        acts = acts.filter(organization_id=organization_id)
        services = services.filter(organization_id=organization_id)
    if district:
        acts = acts.filter(district_code=district)
        services = services.filter(district_code=district)
    if activity_id:
        acts = acts.filter(pk=activity_id)
        services = services.none()
    sessions = Session.objects.filter(activity__in=acts.values("pk"), is_cancelled=False,
                                      starts_at__gte=start, starts_at__lt=end)
    regs = Registration.objects.filter(session__in=sessions.values("pk"))
    fig = Figures()
    fig.sessions = sessions.count()
    fig.activities = sessions.values("activity_id").distinct().count()
    fig.registrations = regs.filter(status__in=ACTIVE).aggregate(n=Sum("head_count"))["n"] or 0
    by_pop: dict[str, int] = defaultdict(int)
    for row in regs.filter(checked_in_at__isnull=False).values("population").annotate(n=Sum("head_count")):
        by_pop[row["population"]] += row["n"]
        fig.checked_in += row["n"]
    for row in WalkIn.objects.filter(session__in=sessions.values("pk")).values("population").annotate(
            n=Sum("head_count")):
        by_pop[row["population"]] += row["n"]
        fig.walk_ins += row["n"]
    fig.services = services.count()
    for attendance in services.values_list("attendance", flat=True):
        for pop, n in (attendance or {}).items():
            by_pop[pop] += int(n)
    fig.by_population = {p: by_pop.get(p, 0) for p in Population.values}
    fig.person_times = sum(fig.by_population.values())
    fig.sessions += fig.services
    months: dict[date, int] = defaultdict(int)
    for row in sessions.annotate(m=TruncMonth("starts_at")).values("m").annotate(n=Count("pk")):
        months[row["m"].date() if isinstance(row["m"], datetime) else row["m"]] += row["n"]
    for row in services.annotate(m=TruncMonth("delivered_at")).values("m").annotate(n=Count("pk")):
        months[row["m"].date() if isinstance(row["m"], datetime) else row["m"]] += row["n"]
    fig.by_month = sorted(months.items())
    fig.by_theme = list(sessions.filter(activity__theme__isnull=False).values("activity__theme__name")
                        .annotate(n=Count("pk")).order_by("-n")[:12])
    score = regs.filter(survey__isnull=False).aggregate(s=Sum("survey__score"), n=Count("survey"))
    fig.satisfaction = round(score["s"] / score["n"], 2) if score["n"] else None
    return fig


def figures_by_activity(*, actor: Actor, date_from: date, date_to: date, theme: str = "",
                        organization_id: int | None = None, limit: int = 5000) -> list[dict]:
    """One row per activity for the Excel export: sessions, registrations, check-ins, walk-ins."""
    start, end = _day_start(date_from), _day_start(date_to + timedelta(days=1))
    acts = _activity_area(actor).filter(starts_at__lt=end, ends_at__gte=start)
    if theme:
        acts = acts.filter(theme__slug=theme)
    if organization_id:
        acts = acts.filter(organization_id=organization_id)
    acts = list(acts.select_related("organization", "place", "theme").order_by("starts_at", "pk")[:limit])
    ids = [a.pk for a in acts]
    sess = dict(Session.objects.filter(activity_id__in=ids, is_cancelled=False, starts_at__gte=start,
                                       starts_at__lt=end).values("activity_id").annotate(n=Count("pk"))
                .values_list("activity_id", "n"))
    reg_rows = Registration.objects.filter(session__activity_id__in=ids, session__starts_at__gte=start,
                                           session__starts_at__lt=end)
    regs = dict(reg_rows.filter(status__in=ACTIVE).values("session__activity_id").annotate(n=Sum("head_count"))
                .values_list("session__activity_id", "n"))
    checked = defaultdict(dict)
    for row in reg_rows.filter(checked_in_at__isnull=False).values("session__activity_id", "population").annotate(
            n=Sum("head_count")):
        checked[row["session__activity_id"]][row["population"]] = row["n"]
    walk = defaultdict(dict)
    for row in WalkIn.objects.filter(session__activity_id__in=ids, session__starts_at__gte=start,
                                     session__starts_at__lt=end).values("session__activity_id", "population"
                                                                        ).annotate(n=Sum("head_count")):
        walk[row["session__activity_id"]][row["population"]] = row["n"]
    out = []
    for a in acts:
        pops = {p: checked[a.pk].get(p, 0) + walk[a.pk].get(p, 0) for p in Population.values}
        out.append({"activity": a, "sessions": sess.get(a.pk, 0), "registrations": regs.get(a.pk, 0),
                    "checked_in": sum(checked[a.pk].values()), "walk_ins": sum(walk[a.pk].values()),
                    "person_times": sum(pops.values()), "by_population": pops})
    return out
