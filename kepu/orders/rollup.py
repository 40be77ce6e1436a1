"""The three rates' roll-up (``OrderRollup``): what each order contributes, and keeping the table exact.

The services call ``snapshot(order)`` after locking an order and ``record(before, order)`` once
they have saved it, in the same transaction: whatever the transition (re-dispatch moves an order
to another unit's row, a grab to a provider's, an escalation changes the overdue count …), the
order's old contribution leaves its old rows and its new one enters its new rows. Nothing here
knows the transitions, so no path can be forgotten; the property test in
``tests/test_rollup_properties.py`` checks the table against ``recompute()`` after random walks.
"""

from __future__ import annotations

from datetime import date

from django.db import connection, transaction
from django.db.models import Count, IntegerField, Q, Sum, Value
from django.db.models.functions import Coalesce, TruncDate, TruncMonth
from django.utils import timezone

from kepu.core.bulk import add_to_rows
from kepu.orders.models import Order, OrderRollup, OrderStatus, RollupGrain

S = OrderStatus
DONE = frozenset({S.DELIVERED, S.RATED, S.CLOSED})
OPEN = frozenset({S.SUBMITTED, S.DISPATCHED, S.CLAIMED, S.ACCEPTED, S.SCHEDULED})
COUNTERS = OrderRollup.COUNTERS
DIMS = ("district_id", "street_id", "community_id", "unit_id", "provider_id")

Contribution = tuple[tuple, dict[str, int]]


def counters(order: Order) -> dict[str, int]:
    """The counters one order adds to its rows (the definitions of the three rates live here and in
    ``AGGREGATES`` below, which must agree)."""
    status, rating = order.status, order.rating
    return {
        "total": 1,
        # Routed: a unit had to answer it (dispatched at least once, and not back at the start).
        "routed": int(order.dispatched_at is not None and status != S.SUBMITTED),
        "on_time": int(order.claimed_on_time is True),
        "claimed": int(order.claimed_at is not None and status != S.CANCELLED),
        "done": int(status in DONE),
        # An order closed unrated counts as done but not here: nobody said whether they were satisfied.
        "rated": int(rating is not None),
        "satisfied": int(rating is not None and rating >= 4),
        "rating_sum": int(rating or 0),
        "overdue": int(bool(order.overdue) and status in OPEN),
        "open": int(status in OPEN),
    }


def _day(order: Order) -> date:
    return timezone.localtime(order.created_at).date()


def dims(order: Order) -> tuple:
    return (order.district_id, order.street_id, order.community_id or 0, order.unit_id or 0, order.provider_id or 0)


def snapshot(order: Order) -> Contribution:
    return dims(order), counters(order)


def record(before: Contribution | None, order: Order) -> None:
    """Move ``order``'s contribution from ``before`` (None: a new order) to what it is now."""
    after = snapshot(order)
    if before == after:
        return
    day = _day(order)
    deltas: dict[tuple, dict[str, int]] = {}

    def add(key_dims, values, sign):
        for grain, period, grain_dims in _grains(day, key_dims):
            key = (str(grain), period, *grain_dims)
            row = deltas.setdefault(key, dict.fromkeys(COUNTERS, 0))
            for name, n in values.items():
                row[name] += sign * n

    if before is not None:
        add(before[0], before[1], -1)
    add(after[0], after[1], +1)
    # Sorted, so that two transactions touching the same rows always lock them in the same order
    # (no deadlock between, say, a re-dispatch and a claim in the same community on PostgreSQL).
    for key in sorted(deltas):
        if any(deltas[key].values()):
            _upsert(key, deltas[key])


def _grains(day: date, key_dims: tuple):
    """The rows one order counts in: its day's and its month's, and its street's month (finer dimensions 0)."""
    month = day.replace(day=1)
    street = (*key_dims[:2], 0, 0, 0)
    return (
        (RollupGrain.DAY, day, key_dims),
        (RollupGrain.MONTH, month, key_dims),
        (RollupGrain.STREET_MONTH, month, street),
    )


_COLUMNS = ("grain", "period", *DIMS, *COUNTERS)
_TABLE = OrderRollup._meta.db_table


def _upsert(key: tuple, delta: dict[str, int]) -> None:
    # key: (grain, period, *DIMS); the row is found by OrderRollup.KEY, which leaves the district out.
    row = (*key, *(delta[c] for c in COUNTERS))
    add_to_rows(OrderRollup, ("grain", "period", *DIMS), COUNTERS, [row], unique=OrderRollup.KEY)


# --- Recomputing from the orders (repair, the bench generator, the property test) -------------
AGGREGATES = {
    "total": Count("pk"),
    "routed": Count("pk", filter=Q(dispatched_at__isnull=False) & ~Q(status=S.SUBMITTED)),
    "on_time": Count("pk", filter=Q(claimed_on_time=True)),
    "claimed": Count("pk", filter=Q(claimed_at__isnull=False) & ~Q(status=S.CANCELLED)),
    "done": Count("pk", filter=Q(status__in=DONE)),
    "rated": Count("pk", filter=Q(rating__isnull=False)),
    "satisfied": Count("pk", filter=Q(rating__gte=4)),
    "rating_sum": Coalesce(Sum("rating"), 0),
    "overdue": Count("pk", filter=Q(overdue=True, status__in=OPEN)),
    "open": Count("pk", filter=Q(status__in=OPEN)),
}


def _orders_by_day():
    zero = Value(0, output_field=IntegerField())
    return (
        Order.objects.order_by()
        .annotate(
            r_period=TruncDate("created_at"),
            r_community=Coalesce("community_id", zero),
            r_unit=Coalesce("unit_id", zero),
            r_provider=Coalesce("provider_id", zero),
        )
        .values("r_period", "district_id", "street_id", "r_community", "r_unit", "r_provider")
        .annotate(**AGGREGATES)
    )


def recompute() -> dict[tuple, dict[str, int]]:
    """{key: counters} of every non-empty row, computed from the orders (day and month rows)."""
    out: dict[tuple, dict[str, int]] = {}
    for r in _orders_by_day():
        full = (r["district_id"], r["street_id"], r["r_community"], r["r_unit"], r["r_provider"])
        for grain, period, dims in _grains(r["r_period"], full):
            key = (str(grain), period, *dims[1:])
            row = out.setdefault(key, dict.fromkeys(COUNTERS, 0))
            for c in COUNTERS:
                row[c] += r[c]
    return out


def stored() -> dict[tuple, dict[str, int]]:
    """{key: counters} of the table's non-empty rows (rows an order has left stay, at zero)."""
    out = {}
    for r in OrderRollup.objects.filter(total__gt=0).values(*OrderRollup.KEY, *COUNTERS):
        out[tuple(r[k] for k in OrderRollup.KEY)] = {c: r[c] for c in COUNTERS}
    return out


@transaction.atomic
def rebuild() -> int:
    """Empty the roll-up and fill it again from the orders, inside the database; return its row count.

    The orders are locked against writers for the while (a service changing an order meanwhile
    would add to rows about to be replaced).
    """
    qn = connection.ops.quote_name
    if connection.vendor == "postgresql":
        with connection.cursor() as cursor:
            cursor.execute(f"LOCK TABLE {qn(Order._meta.db_table)} IN SHARE MODE")
    OrderRollup.objects.all().delete()
    sql, params = _orders_by_day().query.sql_with_params()
    cols = ", ".join(qn(c) for c in _COLUMNS)
    picked = ", ".join(
        [
            "s.r_period",
            "s.district_id",
            "s.street_id",
            "s.r_community",
            "s.r_unit",
            "s.r_provider",
            *(f"s.{c}" for c in COUNTERS),
        ]
    )
    with connection.cursor() as cursor:
        cursor.execute(
            f"INSERT INTO {qn(_TABLE)} ({cols}) SELECT %s, {picked} FROM ({sql}) s", [str(RollupGrain.DAY), *params]
        )
    months = (
        OrderRollup.objects.filter(grain=RollupGrain.DAY)
        .order_by()
        .annotate(r_period=TruncMonth("period"))
        .values("r_period", *DIMS)
        .annotate(**{f"s_{c}": Sum(c) for c in COUNTERS})
    )
    sql, params = months.query.sql_with_params()
    picked = ", ".join(["s.r_period", *(f"s.{d}" for d in DIMS), *(f"s.s_{c}" for c in COUNTERS)])
    with connection.cursor() as cursor:
        cursor.execute(
            f"INSERT INTO {qn(_TABLE)} ({cols}) SELECT %s, {picked} FROM ({sql}) s", [str(RollupGrain.MONTH), *params]
        )
    fill_street_months()
    return OrderRollup.objects.count()


def fill_street_months(model=OrderRollup) -> None:
    """Add the street-month rows, summed from the month rows (none of them must exist yet): the rebuild, the
    migration that introduced them (``model`` its historical one), the bench's generator."""
    month_rows = (
        model.objects.filter(grain=RollupGrain.MONTH)
        .order_by()
        .values("period", "district_id", "street_id")
        .annotate(**{f"s_{c}": Sum(c) for c in COUNTERS})
    )
    batch = []
    for r in month_rows.iterator(chunk_size=5000):
        batch.append(
            model(
                grain=RollupGrain.STREET_MONTH, period=r["period"], district_id=r["district_id"],
                street_id=r["street_id"], community_id=0, unit_id=0, provider_id=0,
                **{c: r[f"s_{c}"] for c in COUNTERS},
            )
        )  # fmt: skip
        if len(batch) >= 5000:
            model.objects.bulk_create(batch)
            batch = []
    model.objects.bulk_create(batch)
