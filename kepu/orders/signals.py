"""Signals other apps listen to. Each is sent after the transaction commits."""

from django.dispatch import Signal

order_delivered = Signal()
"""An order was delivered: it counts as a science activity (科普活动).

Sent once per order, after commit, with ``sender=Order`` and keyword arguments:

* ``order`` — the ``Order`` (``order.district``, ``order.place_path``, ``order.kind``, ``order.topic``,
  ``order.delivered_at``, ``order.scheduled_for``, ``order.provider`` / ``order.expert``);
* ``attendance`` — ``{population code: number of people}`` (codes of ``kepu.core.populations.Population``);
* ``volunteers`` — ``[(user_id, Decimal hours), …]``: who served and for how long, to credit their hours.

Receivers must be idempotent on ``order.pk``.
"""
