"""Every read about orders, already scoped to the actor."""

from __future__ import annotations

from datetime import date, datetime, timedelta

from django.db.models import Count, F, Prefetch, Q, QuerySet, Sum
from django.db.models.functions import TruncMonth
from django.utils import timezone

from kepu.core.actor import Actor
from kepu.core.dbrouter import use_replica
from kepu.core.permissions import get_visible, scope
from kepu.core.roles import Role
from kepu.orders import workflow
from kepu.orders.models import (
    Order,
    OrderEvent,
    OrderRollup,
    OrderStatus,
    OrderVolunteer,
    RollupGrain,
    ServiceItem,
)
from kepu.orders.permissions import rollup_scope_q

COUNTERS = OrderRollup.COUNTERS

S = OrderStatus


def _needs_me_q(actor: Actor) -> Q:
    """The orders waiting for this actor's step."""
    role = actor.role
    if role in (Role.COMMUNITY_STAFF, Role.STREET_STAFF, Role.DISTRICT_ADMIN):
        q = Q(status=S.SUBMITTED) | Q(status=S.RATED)
        if role == Role.COMMUNITY_STAFF:
            q &= Q(community__isnull=False)
        elif role == Role.DISTRICT_ADMIN:
            q = Q(status__in=workflow.OPEN_STATES, escalation_level__gte=2)
        else:
            q = (q & Q(community__isnull=True)) | Q(status__in=workflow.OPEN_STATES, escalation_level__gte=1)
        return q
    if role == Role.UNIT_STAFF:
        return Q(status=S.DISPATCHED) | Q(status=S.CLAIMED, provider__isnull=True, expert__isnull=True, in_pool=False)
    if role in (Role.VOLUNTEER_ORG_STAFF, Role.EXPERT):
        return Q(status__in=(S.CLAIMED, S.ACCEPTED, S.SCHEDULED))
    if role == Role.RESIDENT:
        return Q(status=S.DELIVERED)
    return Q(pk__in=[])


def order_list(
    *,
    actor: Actor,
    status: str = "",
    q: str = "",
    needs_me: bool = False,
    overdue: bool = False,
    place_path: str = "",
    year: int | None = None,
) -> QuerySet[Order]:
    """The orders the actor may see; ``status`` "done" is every delivered one (delivered, rated, closed), as the
    rates count them; ``place_path`` and ``year`` (placed that local year) give the orders a place's figure counts."""
    qs = scope(actor, Order.objects.all())
    if status in S.values:
        qs = qs.filter(status=status)
    elif status == "done":
        qs = qs.filter(status__in=(S.DELIVERED, S.RATED, S.CLOSED))
    if place_path:
        qs = qs.filter(place_path__startswith=place_path)
    if year:
        tz = timezone.get_current_timezone()
        first = datetime(year, 1, 1, tzinfo=tz)
        qs = qs.filter(created_at__gte=first, created_at__lt=first.replace(year=year + 1))
    if needs_me:
        qs = qs.filter(_needs_me_q(actor))
    if overdue:
        qs = qs.filter(overdue=True)
    if q:
        qs = qs.filter(Q(number__startswith=q) | Q(title__icontains=q))
    if actor.role == Role.VOLUNTEER:
        qs = qs.distinct()
    return qs.select_related("community", "street", "unit", "provider").order_by("-created_at", "-id")


def order_get(*, actor: Actor, pk: int) -> Order:
    qs = Order.objects.select_related(
        "community", "street", "district", "unit", "provider", "expert", "resident", "service_item"
    ).prefetch_related(
        Prefetch("events", queryset=OrderEvent.objects.order_by("at", "id")),
        Prefetch("volunteers", queryset=OrderVolunteer.objects.select_related("volunteer")),
        "photos",
    )
    return get_visible(actor, qs, pk=pk)


@use_replica
def menu(*, district_id: int | None = None, topic: str = "", population: str = "") -> QuerySet[ServiceItem]:
    """The service menu (public): active items of a district, optionally by topic and audience."""
    qs = ServiceItem.objects.filter(is_active=True).select_related("provider", "district")
    if district_id:
        qs = qs.filter(district_id=district_id)
    if topic:
        qs = qs.filter(topic=topic)
    items = qs.order_by("topic", "title")
    if population:  # JSON containment is not portable to SQLite; menus are short
        return [i for i in items if population in (i.populations or [])]
    return items


# --- The three rates (三率) ---------------------------------------------------------------------
#: The groups of the dashboard: the roll-up column each is read from.
DIMENSIONS = {
    "community": "community_id",
    "street": "street_id",
    "unit": "unit_id",
    "provider": "provider_id",
    "month": "period",
}
DONE = (S.DELIVERED, S.RATED, S.CLOSED)
MAX_MONTHS = 24


def _rates(row: dict) -> dict:
    routed, on_time = row["routed"], row["on_time"]
    claimed, done = row["claimed"], row["done"]
    rated, satisfied = row["rated"], row["satisfied"]
    row["response_rate"] = round(100 * on_time / routed, 1) if routed else None
    row["completion_rate"] = round(100 * done / claimed, 1) if claimed else None
    row["satisfaction_rate"] = round(100 * satisfied / rated, 1) if rated else None
    row["avg_rating"] = round(row["rating_sum"] / rated, 2) if rated else None
    return row


def _month_after(day: date) -> date:
    return date(day.year + (day.month == 12), day.month % 12 + 1, 1)


def _period_q(start: date | None, end: date | None) -> list[tuple[str, Q]]:
    """The roll-up rows that make up [start, end]: month rows for the whole months inside it, day
    rows for the days at its edges (so a year is 12 rows per group, not 365)."""
    month = Q(grain=RollupGrain.MONTH)
    day = Q(grain=RollupGrain.DAY)
    if start is None and end is None:
        return [(RollupGrain.MONTH, month)]
    first_full = None if start is None else (start if start.day == 1 else _month_after(start))
    after_full = (
        None
        if end is None
        else (_month_after(end) if _month_after(end) - timedelta(days=1) == end else end.replace(day=1))
    )
    if first_full is not None and after_full is not None and first_full >= after_full:
        return [(RollupGrain.DAY, day & Q(period__gte=start, period__lte=end))]
    parts = [
        (
            RollupGrain.MONTH,
            month
            & Q(**({"period__gte": first_full} if first_full else {}))
            & Q(**({"period__lt": after_full} if after_full else {})),
        )
    ]
    if start is not None and start < first_full:
        parts.append((RollupGrain.DAY, day & Q(period__gte=start, period__lt=first_full)))
    if end is not None and after_full <= end:
        parts.append((RollupGrain.DAY, day & Q(period__gte=after_full, period__lte=end)))
    return parts


def _labels(by: str, ids) -> dict:
    from kepu.orgs.selectors import organization_names
    from kepu.places.selectors import place_names_by_pk

    return place_names_by_pk(ids) if by in ("community", "street") else organization_names(ids)


@use_replica
def rate_figures(*, actor: Actor, by: str = "street", start: date | None = None, end: date | None = None) -> dict:
    """Response rate (claimed within the deadline / routed), completion rate (delivered / claimed) and
    satisfaction rate (rated 4 or 5 / rated), with the numbers behind them, overall and per ``by``.

    Read from the roll-up, which the services keep exact in every transaction: a few hundred rows
    for a district's year, so there is nothing to cache and the first view after a change is right.
    ``by`` is community, street, unit, provider or month; the period is by the day orders were placed.
    """
    by = by if by in DIMENSIONS else "street"
    column = DIMENSIONS[by]
    scoped = OrderRollup.objects.filter(rollup_scope_q(actor)).order_by()
    sums = {c: Sum(c) for c in COUNTERS}
    groups: dict = {}
    for grain, part in _period_q(start, end):
        qs = scoped.filter(part)
        if by == "month" and grain == RollupGrain.DAY:
            qs = qs.annotate(g=TruncMonth("period"))
        else:  # a month row's period is its month already: no function called on each row
            qs = qs.annotate(g=F(column))
        for row in qs.values("g").annotate(**sums):
            acc = groups.setdefault(row["g"], dict.fromkeys(COUNTERS, 0))
            for c in COUNTERS:
                acc[c] += row[c] or 0
    overall = dict.fromkeys(COUNTERS, 0)
    for acc in groups.values():
        for c in COUNTERS:
            overall[c] += acc[c]
    # Rows an order has left stay at zero; a group without orders is no group.
    present = {g: acc for g, acc in groups.items() if acc["total"] > 0 and g not in (0, None)}
    if by == "month":
        rows = [_rates({**acc, "label": f"{g:%Y-%m}"}) for g, acc in sorted(present.items())][-MAX_MONTHS:]
    else:
        names = _labels(by, present)
        rows = sorted(
            (_rates({**acc, "label": names.get(g, "—"), "id": g}) for g, acc in present.items()),
            key=lambda r: r["label"],
        )
    return {"overall": _rates(overall), "groups": rows, "by": by}


def orders_delivered_for(*, organization_id: int, first_day: date, last_day: date) -> QuerySet[Order]:
    """Service orders an organization delivered in the period (a science base's annual self-report): routed to
    it as the member unit or the provider, or ordered from a menu item it offers; delivered means delivered,
    rated or closed after delivery. Not scoped: the caller shows them to those who may see the organization."""
    return (
        Order.objects.filter(
            Q(unit_id=organization_id) | Q(provider_id=organization_id) | Q(service_item__provider_id=organization_id),
            status__in=(S.DELIVERED, S.RATED, S.CLOSED),
            delivered_at__date__gte=first_day,
            delivered_at__date__lte=last_day,
        )
        .select_related("street", "community")
        .order_by("delivered_at", "pk")
    )


# --- Home pages: to-dos (待办) and the resident's orders -----------------------------------------------
def list_url(**params) -> str:
    """The order list filtered as the to-do says (its numbers link there)."""
    from urllib.parse import urlencode

    from django.urls import reverse

    return reverse("orders:list") + "?" + urlencode(params)


def _todo(label, qs, url: str, key: str):
    from django.db.models import Count, Min

    from kepu.core.home import Todo

    row = qs.aggregate(n=Count("pk"), oldest=Min("created_at"), late=Count("pk", filter=Q(overdue=True)))
    return Todo(
        label=label,
        count=row["n"],
        url=url,
        oldest=row["oldest"],
        overdue=row["late"],
        overdue_url=list_url(view="overdue"),
        key=key,
    )


def worker_todos(actor: Actor) -> list:
    """What waits for this actor's step on the orders, one line per kind of work, scoped like the list."""
    from django.utils.translation import gettext_lazy as _

    role = actor.role
    base = scope(actor, Order.objects.all()).order_by()
    out = []

    def add(label, qs, status, key):
        out.append(_todo(label, qs, list_url(view="todo", status=status), key))

    if role == Role.UNIT_STAFF:
        add(_("Orders to claim"), base.filter(status=S.DISPATCHED), S.DISPATCHED, "orders-claim")
        unassigned = base.filter(status=S.CLAIMED, provider__isnull=True, expert__isnull=True, in_pool=False)
        add(_("Claimed orders to pass on"), unassigned, S.CLAIMED, "orders-pass-on")
    elif role in (Role.VOLUNTEER_ORG_STAFF, Role.EXPERT):
        mine = base.filter(in_pool=False)
        add(_("Orders to accept"), mine.filter(status=S.CLAIMED), S.CLAIMED, "orders-accept")
        add(_("Orders to schedule"), mine.filter(status=S.ACCEPTED), S.ACCEPTED, "orders-schedule")
        add(_("Services to record as delivered"), mine.filter(status=S.SCHEDULED), S.SCHEDULED, "orders-deliver")
    elif role in (Role.COMMUNITY_STAFF, Role.STREET_STAFF):
        own = base.filter(community__isnull=role == Role.STREET_STAFF)
        add(_("Orders to dispatch"), own.filter(status=S.SUBMITTED), S.SUBMITTED, "orders-dispatch")
        add(_("Rated orders to close"), own.filter(status=S.RATED), S.RATED, "orders-close")
    if role in (Role.STREET_STAFF, Role.DISTRICT_ADMIN):
        level = 1 if role == Role.STREET_STAFF else 2
        escalated = base.filter(status__in=workflow.OPEN_STATES, escalation_level__gte=level)
        out.append(_todo(_("Late orders escalated to you"), escalated, list_url(view="todo"), "orders-escalated"))
    if role in (Role.DISTRICT_ADMIN, Role.CITY_ADMIN):
        late = base.filter(status__in=workflow.OPEN_STATES, overdue=True)
        out.append(_todo(_("Late orders in your area"), late, list_url(view="overdue"), "orders-late"))
    return out


def resident_todos(actor: Actor) -> list:
    """A resident's next step on their orders: rate the services that took place."""
    from django.db.models import Min
    from django.urls import reverse
    from django.utils.translation import ngettext

    from kepu.core.home import Todo

    to_rate = Order.objects.filter(resident_id=actor.user_id, status=S.DELIVERED).order_by()
    row = to_rate.aggregate(n=Count("pk"), oldest=Min("delivered_at"), first=Min("pk"))
    if not row["n"]:
        return []
    url = reverse("orders:detail", args=[row["first"]]) if row["n"] == 1 else reverse("orders:list")
    label = ngettext(
        "A service took place: please rate it", "%(n)s services took place: please rate them", row["n"]
    ) % {"n": row["n"]}
    return [Todo(label=label, count=row["n"], url=url, oldest=row["oldest"], key="orders-rate")]


def my_orders(*, actor: Actor, open_only: bool = False) -> QuerySet[Order]:
    """The orders a resident placed, the ones that need them first (to rate), then the newest."""
    from django.db.models import Case, IntegerField, Value, When

    qs = Order.objects.filter(resident_id=actor.user_id) if actor.is_authenticated else Order.objects.none()
    if open_only:  # still under way for the resident: a rated order is done for them
        qs = qs.exclude(status__in=workflow.FINAL_STATES | {S.RATED})
    first = Case(When(status=S.DELIVERED, then=Value(0)), default=Value(1), output_field=IntegerField())
    return qs.select_related("community", "street").order_by(first, "-created_at", "-id")


def resident_panel(actor: Actor) -> dict | None:
    """The resident home's "my orders": the open ones with where they stand and what comes next."""
    from kepu.orders import stepper

    orders = list(my_orders(actor=actor, open_only=True)[:3])
    if not orders:
        return None
    return {"orders": [(o, stepper.resident_status(o), stepper.next_step(o)) for o in orders]}


def personal_data(user) -> list[dict]:
    """The orders a person placed, for their own download ("My data")."""
    return [
        {
            "number": o.number,
            "what": o.title,
            "kind": str(o.get_kind_display()),
            "topic": str(o.get_topic_display()),
            "for": str(o.get_population_display()),
            "where": o.where.name if o.where else "",
            "address": o.address,
            "wanted_between": [o.preferred_from.isoformat(), o.preferred_to.isoformat()],
            "contact": o.contact_name,
            "contact_phone": o.contact_phone,
            "status": str(o.get_status_display()),
            "rating": o.rating,
            "comment": o.rating_comment,
            "placed_at": o.created_at.isoformat(),
        }
        for o in Order.objects.filter(resident=user).select_related("community", "street").order_by("created_at")
    ]


# --- The working-day calendar, for other apps' schedules ----------------------------------------------
def first_working_day(year: int, month: int, district_id: int | None = None) -> date:
    """The first working day of a month by the holiday calendar the offices keep (the district's entries over
    the city's; Monday to Friday otherwise): the leaders' monthly report is written that day."""
    from kepu.orders.calendar import _overrides, is_working_day

    day = date(year, month, 1)
    overrides = _overrides(district_id, day, day + timedelta(days=20))
    while not is_working_day(day, overrides):
        day += timedelta(days=1)
    return day
