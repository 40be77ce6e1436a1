"""Figures this app offers to plan targets (``kepu.plans.measures``), read from our own tables.

"Completed" is an order delivered (and possibly rated and closed since). Filters are the
plan registry's: ``place`` (a place code: its subtree), ``organization`` (the member unit in
charge or the organization that delivered), ``year``, ``date_from``, ``date_to``.
"""

from __future__ import annotations

from datetime import date
from decimal import Decimal

from django.db.models import Q
from django.urls import reverse

from kepu.orders.models import Order, OrderStatus
from kepu.places.models import Place

DONE = (OrderStatus.DELIVERED, OrderStatus.RATED, OrderStatus.CLOSED)


def orders_completed(filters: dict) -> Decimal:
    qs = Order.objects.filter(status__in=DONE, delivered_at__isnull=False)
    code = filters.get("place")
    if code:
        place = Place.objects.filter(code=str(code)).only("path").first()
        qs = qs.filter(place_path__startswith=place.path) if place else qs.none()
    if filters.get("organization"):
        org = int(filters["organization"])
        qs = qs.filter(Q(unit_id=org) | Q(provider_id=org))
    if filters.get("year"):
        qs = qs.filter(delivered_at__year=int(filters["year"]))
    if filters.get("date_from"):
        qs = qs.filter(delivered_at__date__gte=date.fromisoformat(str(filters["date_from"])))
    if filters.get("date_to"):
        qs = qs.filter(delivered_at__date__lte=date.fromisoformat(str(filters["date_to"])))
    return Decimal(qs.count())


def register() -> bool:
    """Offer the measure to plans when the plans app is installed."""
    try:
        from kepu.plans.measures import register_measure
    except ImportError:
        return False
    from django.utils.translation import gettext_lazy as _

    register_measure("orders.completed", _("Service orders completed"), "单", orders_completed,
                     lambda filters: reverse("orders:list"))
    return True
