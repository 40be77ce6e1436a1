"""The receiver of ``kepu.orders.signals.order_delivered``: a delivered service order counts as a science activity.

It reads what the signal's contract (its docstring) promises and nothing else: ``order.pk``,
``order.place_path`` (the community or street where the service was given), ``order.delivered_at``,
``order.provider`` (the volunteer organization that delivered it, if one did) and ``attendance``.
Each order is counted once, however many times the signal comes.
"""

from __future__ import annotations


def on_order_delivered(sender, *, order, attendance=None, **kwargs):
    from kepu.activities.services import delivered_service_record
    from kepu.places.selectors import place_by_code

    delivered_service_record(
        order_id=order.pk,
        place=place_by_code(order.place_path.rstrip("/").rsplit("/", 1)[-1]),
        delivered_at=order.delivered_at,
        organization=order.provider,
        attendance=attendance or {},
    )


def connect_orders() -> None:
    from kepu.orders.signals import order_delivered

    order_delivered.connect(on_order_delivered, dispatch_uid="kepu.activities.order_delivered")
