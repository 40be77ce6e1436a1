"""Every read about science bases: the public list and map (anyone), and the work of bases, offices and experts
(scoped to the actor)."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime, time, timedelta

from django.db.models import Count, Q, QuerySet
from django.utils import timezone

from kepu.activities import selectors as activities
from kepu.bases.models import (
    FREE_FOR_STUDENTS,
    IN_FORCE,
    AnnualReview,
    Application,
    ApplicationStatus,
    Base,
    Category,
    Level,
    ReviewStatus,
    ScoreSheet,
    SheetStatus,
    Theme,
)
from kepu.bases.permissions import HOST_ROLES, hosts
from kepu.core import clock
from kepu.core.actor import Actor
from kepu.core.dbrouter import use_replica
from kepu.core.errors import NotFound
from kepu.core.permissions import get_visible, scope
from kepu.core.populations import Population
from kepu.core.roles import Role


def _today() -> date:
    return timezone.localdate(clock.now())


def listed_q(day: date | None = None) -> Q:
    """Bases on the public list: holding a title whose term runs on ``day`` (revoked and expired ones are not)."""
    day = day or _today()
    return Q(standing__in=IN_FORCE, term_start__lte=day, term_end__gte=day)


def weekend(now: datetime | None = None) -> tuple[datetime, datetime]:
    """From this hour (or the coming Saturday) to the end of Sunday, local time: "open this weekend"."""
    now = timezone.localtime(now or clock.now()).replace(minute=0, second=0, microsecond=0)
    saturday = now.date() + timedelta(days=(5 - now.weekday()) % 7) if now.weekday() < 5 else now.date()
    start = max(now, datetime.combine(saturday, time.min, tzinfo=now.tzinfo))
    sunday = saturday + timedelta(days=6 - saturday.weekday())
    return start, datetime.combine(sunday + timedelta(days=1), time.min, tzinfo=now.tzinfo)


@dataclass
class PublicFilter:
    district: str = ""
    category: str = ""
    theme: str = ""
    level: str = ""
    population: str = ""
    q: str = ""
    weekend: bool = False
    students: bool = False

    @classmethod
    def from_query(cls, get) -> PublicFilter:
        f = cls(
            district=(get.get("district") or "")[:20],
            category=get.get("category") or "",
            theme=get.get("theme") or "",
            level=get.get("level") or "",
            population=get.get("population") or "",
            q=(get.get("q") or "").strip()[:40],
            weekend=get.get("weekend") == "1",
            students=get.get("students") == "1",
        )
        # Values nobody offered are ignored rather than matched against.
        f.category = f.category if f.category in Category.values else ""
        f.theme = f.theme if f.theme in Theme.values else ""
        f.level = f.level if f.level in Level.values else ""
        f.population = f.population if f.population in Population.values else ""
        f.district = f.district if f.district.isdigit() else ""
        return f

    def query(self, **override) -> str:
        from urllib.parse import urlencode

        values = {**self.__dict__, **override}
        params = {k: v for k, v in values.items() if v and not isinstance(v, bool)}
        params.update({k: "1" for k, v in values.items() if v is True})
        return urlencode(params)


@use_replica
def public_bases(f: PublicFilter | None = None, *, with_district: bool = True) -> QuerySet[Base]:
    """The public list: bases in force, filtered, by name."""
    f = f or PublicFilter()
    qs = Base.objects.filter(listed_q())
    if with_district and f.district:
        qs = qs.filter(district_code=f.district)
    if f.category:
        qs = qs.filter(category=f.category)
    if f.level:
        qs = qs.filter(level=f.level)
    if f.theme:
        qs = qs.filter(themes__contains=f",{f.theme},")
    if f.population:
        qs = qs.filter(populations__contains=f",{f.population},")
    if f.students:
        qs = qs.filter(student_policy__in=FREE_FOR_STUDENTS)
    if f.q:
        qs = qs.filter(Q(name__icontains=f.q) | Q(address__icontains=f.q))
    if f.weekend:
        open_ids, closed_ids = open_this_weekend()
        # The shorter list goes to the database: "one of these few" or "none of these few".
        if len(open_ids) <= len(closed_ids):
            qs = qs.filter(venue_id__in=open_ids)
        else:
            qs = qs.exclude(venue_id__in=closed_ids).exclude(venue=None)
    return qs.order_by("name", "pk")


#: How long the set of venues open this weekend is reused: a slot published now shows in the filter within it.
WEEKEND_CACHE_SECONDS = 300


def open_this_weekend() -> tuple[list[int], list[int]]:
    """(venues of listed bases with a bookable slot this weekend, venues of listed bases without one), read
    once every few minutes rather than once per base per request (the list's "open this weekend" filter)."""
    from django.core.cache import cache

    start, end = weekend()
    key = f"kepu.bases.weekend:{start.isoformat()}"
    found = cache.get(key)
    if found is None:
        open_ids = set(activities.venue_ids_open_between(start, end))
        listed = set(Base.objects.filter(listed_q()).exclude(venue=None).values_list("venue_id", flat=True))
        found = (sorted(listed & open_ids), sorted(listed - open_ids))
        cache.set(key, found, WEEKEND_CACHE_SECONDS)
    return found


#: How long the public list reuses its counts by district (they change when a base is certified or revoked).
COUNTS_CACHE_SECONDS = 60


@use_replica
def district_counts(f: PublicFilter) -> dict[str, int]:
    """How many bases each district has under the other filters (the map's colours and the list's count),
    kept a minute per combination of filters: every page of every district shows the same map."""
    from django.core.cache import cache

    key = f"kepu.bases.counts:{_today().isoformat()}:{f.query(district='')}"
    counts = cache.get(key)
    if counts is None:
        rows = public_bases(f, with_district=False).order_by().values("district_code").annotate(n=Count("pk"))
        counts = {r["district_code"]: r["n"] for r in rows}
        cache.set(key, counts, COUNTS_CACHE_SECONDS)
    return counts


def list_extras(bases: list[Base]) -> dict[int, dict]:
    """For a page of bases: each one's weekly hours and booking activity, in two queries in all."""
    venue_ids = [b.venue_id for b in bases if b.venue_id]
    hours = activities.venue_hours(venue_ids)
    booking = activities.visit_activities_of(venue_ids)
    out = {}
    for b in bases:
        venue = hours.get(b.venue_id) or {}
        out[b.pk] = {
            "hours": venue.get("opening_hours") or {},
            "booking": booking.get(b.venue_id) if venue.get("is_active") else None,
        }
    return out


def public_base(pk: int) -> Base:
    try:
        return Base.objects.select_related("organization", "place", "national_type").get(listed_q(), pk=pk)
    except Base.DoesNotExist:
        raise NotFound() from None


def base_for_visitor(*, actor: Actor, pk: int) -> Base:
    """A base's page: listed ones for everybody; others for their host and their office."""
    try:
        return public_base(pk)
    except NotFound:
        if not actor.is_authenticated:
            raise
        return base_get(actor=actor, pk=pk)


def base_get(*, actor: Actor, pk: int) -> Base:
    return get_visible(actor, Base.objects.select_related("organization", "place", "national_type"), pk=pk)


def base_to_run(*, actor: Actor, pk: int) -> Base:
    """A base its host's staff run (attach pieces to it, say what it shows); anyone else: not found."""
    base = base_get(actor=actor, pk=pk)
    if not hosts(actor, base):
        raise NotFound()
    return base


def bases_for(*, actor: Actor, q: str = "", standing: str = "") -> QuerySet[Base]:
    qs = scope(actor, Base.objects.select_related("organization", "place"))
    if q:
        qs = qs.filter(name__icontains=q)
    if standing:
        qs = qs.filter(standing=standing)
    return qs.order_by("district_code", "name", "pk")


# --- Applications -------------------------------------------------------------------------------------
def applications_for(*, actor: Actor, status: str = "", base: Base | None = None) -> QuerySet[Application]:
    qs = scope(actor, Application.objects.select_related("base", "base__place"))
    if status:
        qs = qs.filter(status=status)
    if base is not None:
        qs = qs.filter(base=base)
    return qs.order_by("-created_at", "-pk")


def application_get(*, actor: Actor, pk: int) -> Application:
    return get_visible(
        actor, Application.objects.select_related("base", "base__organization", "base__place", "rubric"), pk=pk
    )


def waiting_for(*, actor: Actor) -> QuerySet[Application]:
    """Applications waiting for this actor's step (the office's queue, the base's drafts, the expert's sheets)."""
    A = ApplicationStatus
    qs = applications_for(actor=actor)
    if actor.role in (Role.DISTRICT_ADMIN, Role.CITY_ADMIN):
        level = Level.DISTRICT if actor.role == Role.DISTRICT_ADMIN else Level.CITY
        return qs.filter(level=level, status__in=(A.SUBMITTED, A.EXPERT_REVIEW, A.INSPECTION, A.DECISION, A.NOTICE))
    if actor.role in HOST_ROLES:
        return qs.filter(status__in=(A.DRAFT, A.RETURNED))
    if actor.role == Role.EXPERT:
        return qs.filter(
            status=A.EXPERT_REVIEW, sheets__scorer=actor.user, sheets__status=SheetStatus.PENDING
        ).distinct()
    return qs.none()


def my_sheet(*, actor: Actor, application: Application) -> ScoreSheet | None:
    if actor.role != Role.EXPERT:
        return None
    return application.sheets.filter(scorer=actor.user).order_by("-pk").first()


def notices() -> QuerySet[Application]:
    """Applications in public notice (公示) now: public."""
    now = clock.now()
    return (
        Application.objects.filter(status=ApplicationStatus.NOTICE, notice_ends_at__gt=now)
        .select_related("base", "base__place", "base__organization")
        .order_by("notice_ends_at", "pk")
    )


def notice_get(pk: int) -> Application:
    try:
        return notices().get(pk=pk)
    except Application.DoesNotExist:
        raise NotFound() from None


def certificate_by_number(number: str) -> Application | None:
    """The certification a certificate's number names (public: the QR code on the paper points here)."""
    return (
        Application.objects.select_related("base", "base__organization", "base__place")
        .filter(certificate_number=number, status=ApplicationStatus.CERTIFIED)
        .first()
    )


# --- Annual reviews -------------------------------------------------------------------------------------
def reviews_for(*, actor: Actor, year: int | None = None, status: str = "") -> QuerySet[AnnualReview]:
    qs = scope(actor, AnnualReview.objects.select_related("base", "base__place"))
    if year:
        qs = qs.filter(year=year)
    if status:
        qs = qs.filter(status=status)
    return qs.order_by("-year", "base__name", "pk")


def review_get(*, actor: Actor, pk: int) -> AnnualReview:
    return get_visible(
        actor, AnnualReview.objects.select_related("base", "base__organization", "base__place", "rubric"), pk=pk
    )


def review_counts(*, actor: Actor, year: int) -> dict[str, int]:
    rows = reviews_for(actor=actor, year=year).order_by().values("status").annotate(n=Count("pk"))
    counts = {r["status"]: r["n"] for r in rows}
    return {value: counts.get(value, 0) for value in ReviewStatus.values}


def spot_draws_for(*, actor: Actor, year: int):
    from kepu.bases.models import SpotCheckDraw

    if actor.place is None or actor.role not in (Role.DISTRICT_ADMIN, Role.CITY_ADMIN):
        return SpotCheckDraw.objects.none()
    return SpotCheckDraw.objects.filter(office_path=actor.place.path, year=year).order_by("-drawn_at")


def conflicts_for(*, actor: Actor):
    from kepu.bases.models import Conflict

    return scope(actor, Conflict.objects.select_related("expert", "organization")).order_by("-declared_at", "-pk")
