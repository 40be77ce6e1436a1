"""Figures this app offers through the measure registry (``kepu.core.measures``), read from our own tables.

"Completed" is an order delivered (and possibly rated and closed since). Filters are the registry's:
``place`` (a place code: its subtree), ``organization`` (the member unit in charge or the organization
that delivered: a plan target of either), ``organizations`` (the units whose figures these are: the
orders they claimed), ``year``, ``date_from``, ``date_to`` (on the delivery).

An order is the work of two organizations, the member unit that claimed it (领单, responsible for
it) and the volunteer organization that delivered it (接单). A unit's figures count it once, for the
unit that claimed it, so two units' figures never count the same order (the team's part shows in
its volunteers' hours); nothing is shared, and a roll-up adds the figures up as they are.
"""

from __future__ import annotations

from collections import defaultdict
from datetime import datetime, time, timedelta
from decimal import Decimal

from django.db.models import Count, IntegerField, Q, Sum
from django.db.models.fields.json import KeyTextTransform
from django.db.models.functions import Cast
from django.urls import reverse
from django.utils import timezone

from kepu.core.measures import UNIT_FILTERS, Figure, Record, RecordList, memo, register_measure, year_bounds
from kepu.core.populations import Population
from kepu.orders.models import Order, OrderStatus
from kepu.places.selectors import path_of

DONE = (OrderStatus.DELIVERED, OrderStatus.RATED, OrderStatus.CLOSED)


def _orders(filters: dict):
    qs = Order.objects.filter(status__in=DONE, delivered_at__isnull=False)
    code = filters.get("place")
    if code:
        path = path_of(code)
        qs = qs.filter(place_path__startswith=path) if path else qs.none()
    if filters.get("organizations") is not None:
        qs = qs.filter(unit_id__in=[int(i) for i in filters["organizations"]])
    if filters.get("organization") not in (None, ""):
        org = int(filters["organization"])
        qs = qs.filter(Q(unit_id=org) | Q(provider_id=org))
    first, last = year_bounds(filters)
    tz = timezone.get_current_timezone()
    if first:
        qs = qs.filter(delivered_at__gte=datetime.combine(first, time.min, tzinfo=tz))
    if last:
        qs = qs.filter(delivered_at__lt=datetime.combine(last + timedelta(days=1), time.min, tzinfo=tz))
    return qs


def _attendance(order_attendance) -> int:
    return sum(int(v or 0) for v in (order_attendance or {}).values())


def orders_completed(filters: dict) -> Decimal:
    return Decimal(_orders(filters).count())


def person_times(filters: dict) -> Decimal:
    """People who came to delivered orders (the attendance recorded at delivery, by group), summed in the database:
    the attendance holds one number per key population, so one sum per population covers it."""
    sums = {p: Sum(Cast(KeyTextTransform(p, "attendance"), IntegerField()), default=0) for p in Population.values}
    return Decimal(sum(_orders(filters).aggregate(**sums).values()))


def _by_unit(context: tuple, units: tuple[int, ...]) -> dict[int, tuple[int, int]]:
    """unit id -> (orders completed, person-times) for ``units``, in one grouped query."""
    filters = dict(zip(("place", "year", "date_from", "date_to"), context, strict=True))
    sums = {p: Sum(Cast(KeyTextTransform(p, "attendance"), IntegerField()), default=0) for p in Population.values}
    rows = (
        _orders({**filters, "organizations": list(units)}).values("unit_id").annotate(n=Count("pk"), **sums).order_by()
    )
    return {r["unit_id"]: (r["n"], sum(r[p] for p in Population.values)) for r in rows}


def _context(f: dict) -> tuple:
    return tuple(f.get(k) or "" for k in ("place", "year", "date_from", "date_to"))


def _by_units(f: dict) -> bool:
    return f.get("organizations") is not None and f.get("organization") in (None, "")


def _figures(filters_list: list[dict], weight: str) -> list[Figure]:
    """Many units' figures from one grouped query per period (inside a batch, shared by both measures)."""
    index = 0 if weight == "orders" else 1
    units: dict[tuple, set[int]] = defaultdict(set)
    for f in filters_list:
        if _by_units(f):
            units[_context(f)].update(int(i) for i in f["organizations"])
    data = {}
    for context, ids in units.items():
        ordered = tuple(sorted(ids))
        data[context] = memo(("orders.by_unit", context, ordered), lambda c=context, u=ordered: _by_unit(c, u))
    out = []
    for f in filters_list:
        if not _by_units(f):
            out.append(Figure(orders_completed(f) if weight == "orders" else person_times(f)))
            continue
        rows = data[_context(f)]
        out.append(Figure(Decimal(sum(rows.get(int(u), (0, 0))[index] for u in set(f["organizations"])))))
    return out


def _records(weight: str):
    def records(filters: dict) -> RecordList:
        qs = _orders(filters).select_related("unit", "provider").order_by("delivered_at", "pk")

        def row(o) -> Record:
            who = " / ".join(x.display_name for x in (o.unit, o.provider) if x is not None)
            return Record(
                key=f"orders.order:{o.pk}",
                label=f"{o.number} {o.title}",
                when=o.delivered_at,
                who=who,
                weight=Decimal(1 if weight == "orders" else _attendance(o.attendance)),
                url=reverse("orders:detail", args=[o.pk]),
            )

        return RecordList(qs, row)

    return records


def register() -> bool:
    from django.utils.translation import gettext_lazy as _

    for key, label, unit, compute, weight in (
        ("orders.completed", _("Service orders completed"), "单", orders_completed, "orders"),
        ("orders.person_times", _("Person-times at service orders"), "人次", person_times, "person_times"),
    ):
        register_measure(
            key,
            label,
            unit,
            compute,
            lambda filters: reverse("orders:list"),
            filters=UNIT_FILTERS,
            records=_records(weight),
            figures=lambda fl, w=weight: _figures(fl, w),
        )
    return True
