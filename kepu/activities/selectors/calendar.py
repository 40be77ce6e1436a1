"""The public calendar, an activity as a visitor sees it, one's own tickets; the theme calendar."""

from __future__ import annotations

from dataclasses import dataclass, field, replace
from datetime import date, timedelta

from django.db.models import Q, QuerySet

from kepu.activities.models import (
    Activity,
    ActivityKind,
    ActivityPopulation,
    ActivityStatus,
    ActivityTopic,
    Registration,
    Session,
    Theme,
    Topic,
)
from kepu.activities.permissions import ActivityAction, public_q
from kepu.activities.selectors._common import _day_start
from kepu.core import clock
from kepu.core.actor import Actor
from kepu.core.dbrouter import use_replica
from kepu.core.errors import NotFound
from kepu.core.permissions import can, get_visible
from kepu.core.populations import Population
from kepu.places.choices import PlaceLevel
from kepu.places.selectors import place_by_code_or_none, places_at


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
