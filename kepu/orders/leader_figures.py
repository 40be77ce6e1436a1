"""The orders' section of the leaders' page (``kepu.core.figures``): volume and the three rates (三率).

Read from the roll-up the services keep (``OrderRollup``), its street-month rows (one per street and month: the
sum of that street's community × unit × provider rows), by the month orders were placed: the city's year is one
grouped query over 12 rows per street, whatever the number of orders, units or providers.
"""

from __future__ import annotations

from datetime import date
from decimal import Decimal
from urllib.parse import urlencode

from django.db.models import Sum
from django.urls import reverse
from django.utils.translation import gettext_lazy as _

from kepu.core.figures import FigureDef, FigureProvider, percent, register_provider
from kepu.orders.models import OrderRollup, RollupGrain

COLUMN = {"district": "district_id", "street": "street_id"}
SUMS = {c: Sum(c) for c in ("total", "routed", "on_time", "claimed", "done", "rated", "satisfied")}


def _figures(row: dict) -> dict[str, Decimal | None]:
    return {
        "orders.placed": Decimal(row.get("total") or 0),
        "orders.done": Decimal(row.get("done") or 0),
        "orders.response_rate": percent(row.get("on_time"), row.get("routed")),
        "orders.completion_rate": percent(row.get("done"), row.get("claimed")),
        "orders.satisfaction_rate": percent(row.get("satisfied"), row.get("rated")),
    }


def values(places, year: int) -> dict[str, dict]:
    rows = OrderRollup.objects.filter(
        grain=RollupGrain.STREET_MONTH, period__gte=date(year, 1, 1), period__lte=date(year, 12, 1)
    ).order_by()
    out = {}
    for level in {p.level for p in places}:
        group = [p for p in places if p.level == level]
        if level == "city":
            total = rows.aggregate(**SUMS)
            out.update({p.code: _figures(total) for p in group})
            continue
        column = COLUMN.get(level)
        if column is None:
            out.update({p.code: _figures({}) for p in group})
            continue
        found = {
            r[column]: r
            for r in rows.filter(**{f"{column}__in": [p.pk for p in group]}).values(column).annotate(**SUMS)
        }
        out.update({p.code: _figures(found.get(p.pk, {})) for p in group})
    return out


def records_url(key: str, place, year: int) -> str:
    if key in ("orders.placed", "orders.done"):
        query = {"view": "all", "place": place.code, "year": year, "status": "done" if key == "orders.done" else ""}
        return reverse("orders:list") + "?" + urlencode(query)
    query = {
        "start": f"{year}-01-01",
        "end": f"{year}-12-31",
        "by": "street" if place.level == "district" else "community",
    }
    return reverse("orders:dashboard") + "?" + urlencode(query)


def register() -> None:
    register_provider(
        FigureProvider(
            section="orders",
            label=_("Service orders"),
            order=10,
            figures=(
                FigureDef("orders.placed", _("Orders placed"), "单"),
                FigureDef("orders.done", _("Orders delivered"), "单"),
                FigureDef("orders.response_rate", _("Response rate"), "%", rate=True),
                FigureDef("orders.completion_rate", _("Completion rate"), "%", rate=True),
                FigureDef("orders.satisfaction_rate", _("Satisfaction rate"), "%", rate=True),
            ),
            values=values,
            records_url=records_url,
        )
    )
