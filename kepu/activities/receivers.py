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


def on_checked_in(sender, registration=None, **kwargs):
    """The satisfaction survey goes to checked-in attendees only: the check-in itself invites them (once, since
    nobody is checked in twice), and the ticket page holds the question until they answer it."""
    from django.urls import reverse
    from django.utils.translation import gettext as _

    from kepu.notifications.services import notify

    if registration is None or registration.user is None:
        return  # a group or a person registered by staff has no inbox of their own
    title = registration.session.activity.title
    notify([registration.user], kind="kepu.activity.survey",
           title=_("How was %(title)s?") % {"title": title},
           body=_("Thank you for coming. After the activity, tell the organizer how it went: one question on your "
                  "ticket."),
           url=reverse("activities:ticket", args=[registration.pk]))


def connect_own() -> None:
    from kepu.activities.signals import checked_in

    checked_in.connect(on_checked_in, dispatch_uid="kepu.activities.survey_invitation")
