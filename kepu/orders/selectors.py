"""Every read about orders, already scoped to the actor."""

from __future__ import annotations

from datetime import date, timedelta

from django.db.models import F, Prefetch, Q, QuerySet, Sum
from django.db.models.functions import TruncMonth

from kepu.core.actor import Actor
from kepu.core.errors import NotAllowed
from kepu.core.permissions import get_visible, scope
from kepu.core.roles import AREA_ROLES, Role
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
from kepu.places.models import PlaceLevel

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
        return Q(status=S.DISPATCHED) | Q(status=S.CLAIMED, provider__isnull=True, expert__isnull=True,
                                          in_pool=False)
    if role in (Role.VOLUNTEER_ORG_STAFF, Role.EXPERT):
        return Q(status__in=(S.CLAIMED, S.ACCEPTED, S.SCHEDULED))
    if role == Role.RESIDENT:
        return Q(status=S.DELIVERED)
    return Q(pk__in=[])


def order_list(*, actor: Actor, status: str = "", q: str = "", needs_me: bool = False,
               overdue: bool = False) -> QuerySet[Order]:
    qs = scope(actor, Order.objects.all())
    if status in S.values:
        qs = qs.filter(status=status)
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
    qs = Order.objects.select_related("community", "street", "district", "unit", "provider", "expert", "resident",
                                      "service_item").prefetch_related(
        Prefetch("events", queryset=OrderEvent.objects.order_by("at", "id")),
        Prefetch("volunteers", queryset=OrderVolunteer.objects.select_related("volunteer")), "photos")
    return get_visible(actor, qs, pk=pk)


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


# --- Hand-offs to other apps ----------------------------------------------------------------
def served_volunteers(*, order_ids=None, since: date | None = None) -> QuerySet[OrderVolunteer]:
    """Who served on delivered orders and for how long: the hook that credits volunteer hours.

    Rows carry ``volunteer_id``, ``hours``, ``order_id`` and ``order__delivered_at``; not scoped
    (the volunteers app reads it for its own crediting job, which is system work).
    """
    qs = OrderVolunteer.objects.filter(order__status__in=(S.DELIVERED, S.RATED, S.CLOSED))
    if order_ids is not None:
        qs = qs.filter(order_id__in=order_ids)
    if since is not None:
        qs = qs.filter(order__delivered_at__date__gte=since)
    return qs.select_related("order").order_by("order__delivered_at", "pk")


def delivered_orders(*, since: date | None = None, district_code: str = "") -> QuerySet[Order]:
    """Delivered orders as science activities (date, place, kind, topic, attendance by population)."""
    qs = Order.objects.filter(status__in=(S.DELIVERED, S.RATED, S.CLOSED))
    if since:
        qs = qs.filter(delivered_at__date__gte=since)
    if district_code:
        qs = qs.filter(district__code=district_code)
    return qs.select_related("district", "street", "community").order_by("delivered_at")


# --- The three rates (三率) ---------------------------------------------------------------------
#: The groups of the dashboard: the roll-up column each is read from.
DIMENSIONS = {"community": "community_id", "street": "street_id", "unit": "unit_id", "provider": "provider_id",
              "month": "period"}
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


def rollup_scope_q(actor: Actor) -> Q:
    """The roll-up rows of the orders an actor may count: the same as their orders, by the columns the
    roll-up has. Roles the roll-up cannot scope (residents, experts, volunteers) are refused."""
    if actor.is_authenticated and actor.is_city:
        return Q()
    role, place = actor.role, actor.place
    if role in AREA_ROLES and place is not None:
        column = {PlaceLevel.DISTRICT: "district_id", PlaceLevel.STREET: "street_id",
                  PlaceLevel.COMMUNITY: "community_id"}.get(place.level)
        if column:
            return Q(**{column: place.pk})
    if role == Role.UNIT_STAFF and actor.organization_id:
        return Q(unit_id=actor.organization_id)
    if role == Role.VOLUNTEER_ORG_STAFF and actor.organization_id:
        return Q(provider_id=actor.organization_id)
    raise NotAllowed()


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
    after_full = None if end is None else (_month_after(end) if _month_after(end) - timedelta(days=1) == end
                                           else end.replace(day=1))
    if first_full is not None and after_full is not None and first_full >= after_full:
        return [(RollupGrain.DAY, day & Q(period__gte=start, period__lte=end))]
    parts = [(RollupGrain.MONTH, month & Q(**({"period__gte": first_full} if first_full else {}))
              & Q(**({"period__lt": after_full} if after_full else {})))]
    if start is not None and start < first_full:
        parts.append((RollupGrain.DAY, day & Q(period__gte=start, period__lt=first_full)))
    if end is not None and after_full <= end:
        parts.append((RollupGrain.DAY, day & Q(period__gte=after_full, period__lte=end)))
    return parts


def _labels(by: str, ids) -> dict:
    from kepu.orgs.models import Organization
    from kepu.places.models import Place

    model = Place if by in ("community", "street") else Organization
    return dict(model.objects.filter(pk__in=list(ids)).values_list("pk", "name"))


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
        rows = sorted((_rates({**acc, "label": names.get(g, "—"), "id": g}) for g, acc in present.items()),
                      key=lambda r: r["label"])
    return {"overall": _rates(overall), "groups": rows, "by": by}
