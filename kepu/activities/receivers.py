"""Listening to the orders app, which may not be installed.

``kepu.orders.signals.order_delivered`` (provided by the orders app) is sent once an order
has been delivered. Its contract, as agreed: kwargs ``order`` with ``pk``, ``place``,
``delivered_at`` and optionally ``organization`` (who delivered it), ``title``,
``attendance`` (population → person-times) and ``activity_id`` (when the order was
delivered as one of our activities, which then counts it already). We count each order
once, whatever the number of times the signal comes.
"""

from __future__ import annotations

import importlib
import logging

logger = logging.getLogger(__name__)


def on_order_delivered(sender, order=None, **kwargs):
    from kepu.activities.services import delivered_service_record

    if order is None:
        return
    delivered_service_record(
        order_id=order.pk,
        # The orders app calls the community (or the street) of an order its ``where``.
        place=kwargs.get("place") or getattr(order, "place", None) or order.where,
        delivered_at=kwargs.get("delivered_at") or getattr(order, "delivered_at", None),
        organization=kwargs.get("organization") or getattr(order, "delivered_by", None)
        or getattr(order, "provider", None),
        title=kwargs.get("title") or getattr(order, "title", "") or str(order),
        attendance=kwargs.get("attendance") or getattr(order, "attendance", None) or {},
        activity_id=kwargs.get("activity_id") or getattr(order, "activity_id", None),
    )


def connect_orders() -> bool:
    """Connect to the orders app's signal when it exists; without it there is simply nothing to count."""
    try:
        module = importlib.import_module("kepu.orders.signals")
    except ImportError:
        return False
    signal = getattr(module, "order_delivered", None)
    if signal is None:
        logger.warning("kepu.orders.signals has no order_delivered; delivered orders are not counted")
        return False
    signal.connect(on_order_delivered, dispatch_uid="kepu.activities.order_delivered")
    return True
