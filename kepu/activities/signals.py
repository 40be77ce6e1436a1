"""Signals other apps may listen to. All are sent after the transaction commits.

Each docstring is the signal's contract: the keyword arguments it carries.
"""

from django.dispatch import Signal

activity_published = Signal()
"""An activity became visible in the public calendar. kwargs: ``activity``."""

registration_confirmed = Signal()
"""A registration now holds a confirmed place (directly, after approval, or by accepting an
offer). kwargs: ``registration``."""

place_offered = Signal()
"""A freed place was offered to the next in line. kwargs: ``registration`` (with
``offer_expires_at``)."""

checked_in = Signal()
"""An attendee was checked in. kwargs: ``registration``, ``actor``."""
