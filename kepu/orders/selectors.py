"""Every read about orders, already scoped to the actor."""

from __future__ import annotations

from datetime import date

from django.core.cache import cache
from django.db.models import Avg, Count, Prefetch, Q, QuerySet

from kepu.core.actor import Actor
from kepu.core.permissions import get_visible, scope
from kepu.core.roles import Role
from kepu.orders import workflow
from kepu.orders.models import Order, OrderEvent, OrderStatus, OrderVolunteer, ServiceItem

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
DIMENSIONS = {
    "community": ("community__name", "community_id"),
    "street": ("street__name", "street_id"),
    "unit": ("unit__name", "unit_id"),
    "provider": ("provider__name", "provider_id"),
    "month": (None, None),
}
DONE = (S.DELIVERED, S.RATED, S.CLOSED)


def _rates(row: dict) -> dict:
    routed, on_time = row["routed"], row["on_time"]
    claimed, done = row["claimed"], row["done"]
    rated, satisfied = row["rated"], row["satisfied"]
    row["response_rate"] = round(100 * on_time / routed, 1) if routed else None
    row["completion_rate"] = round(100 * done / claimed, 1) if claimed else None
    row["satisfaction_rate"] = round(100 * satisfied / rated, 1) if rated else None
    row["avg_rating"] = round(row["avg_rating"], 2) if row.get("avg_rating") is not None else None
    return row


AGGREGATES = {
    "total": Count("pk"),
    # Routed: an order a unit had to answer (dispatched at least once and not withdrawn before).
    "routed": Count("pk", filter=Q(dispatched_at__isnull=False) & ~Q(status=S.SUBMITTED)),
    "on_time": Count("pk", filter=Q(claimed_on_time=True)),
    "claimed": Count("pk", filter=Q(claimed_at__isnull=False) & ~Q(status=S.CANCELLED)),
    "done": Count("pk", filter=Q(status__in=DONE)),
    "rated": Count("pk", filter=Q(rating__isnull=False)),
    "satisfied": Count("pk", filter=Q(rating__gte=4)),
    "overdue": Count("pk", filter=Q(overdue=True, status__in=workflow.OPEN_STATES)),
    "avg_rating": Avg("rating"),
}


RATES_VERSION_KEY = "kepu:orders:rates:version"
RATES_TTL = 300


def rates_changed() -> None:
    """Called after any order changes: cached figures of every scope become stale at once."""
    try:
        cache.incr(RATES_VERSION_KEY)
    except ValueError:
        cache.set(RATES_VERSION_KEY, 2, None)


def rate_figures(*, actor: Actor, by: str = "street", start: date | None = None,
                 end: date | None = None, fresh: bool = False) -> dict:
    """Response rate (claimed within the deadline / routed), completion rate (delivered / claimed) and
    satisfaction rate (rated 4 or 5 / rated), with the numbers behind them, overall and per ``by``.

    Aggregating a district's orders is the costly read of this app, so figures are cached per
    scope for a few minutes and dropped as soon as any order changes (``rates_changed``).
    """
    version = cache.get_or_set(RATES_VERSION_KEY, 1, None)
    key = (f"kepu:orders:rates:{version}:{actor.role}:{actor.organization_id}:{actor.user_id}:{by}:"
           f"{start}:{end}")
    if not fresh:
        cached = cache.get(key)
        if cached is not None:
            return cached
    figures = _rate_figures(actor=actor, by=by, start=start, end=end)
    cache.set(key, figures, RATES_TTL)
    return figures


MAX_MONTHS = 24


def _months(qs) -> list[tuple[str, object, object]]:
    """Local calendar months spanned by ``qs`` (the last 24 at most), as (label, start, end).

    One range query per month walks the creation-time index; truncating each row's time
    to its month would call a function on every row (on SQLite, a Python one).
    """
    from datetime import datetime

    from django.db.models import Max, Min
    from django.utils import timezone

    span = qs.aggregate(first=Min("created_at"), last=Max("created_at"))
    if span["first"] is None:
        return []
    first, last = timezone.localtime(span["first"]), timezone.localtime(span["last"])
    y, m = last.year, last.month
    out = []
    while (y, m) >= (first.year, first.month) and len(out) < MAX_MONTHS:
        lo = timezone.make_aware(datetime(y, m, 1))
        hi = timezone.make_aware(datetime(y + (m == 12), m % 12 + 1, 1))
        out.append((f"{y:04d}-{m:02d}", lo, hi))
        y, m = (y, m - 1) if m > 1 else (y - 1, 12)
    return out[::-1]


def _rate_figures(*, actor: Actor, by: str, start: date | None, end: date | None) -> dict:
    qs = scope(actor, Order.objects.all())
    if start:
        qs = qs.filter(created_at__date__gte=start)
    if end:
        qs = qs.filter(created_at__date__lte=end)
    overall = _rates(qs.aggregate(**AGGREGATES))
    if by == "month":
        groups = [_rates({**qs.filter(created_at__gte=lo, created_at__lt=hi).aggregate(**AGGREGATES), "label": label})
                  for label, lo, hi in _months(qs)]
    else:
        name_field, id_field = DIMENSIONS.get(by, DIMENSIONS["street"])
        rows = qs.exclude(**{f"{id_field}__isnull": True}).values(id_field, name_field).annotate(
            **AGGREGATES).order_by(name_field)
        groups = [_rates({**r, "label": r[name_field]}) for r in rows]
    return {"overall": overall, "groups": groups, "by": by if by in DIMENSIONS else "street"}
