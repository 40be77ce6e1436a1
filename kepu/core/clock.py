"""The platform's clock: ``now()`` is the wall clock, except where a test has set it.

Deadlines, offers, check-in windows and deliveries are judged by this clock, so tests move
time with ``frozen_at`` and ``advance`` instead of sleeping or rewriting stored times;
production code only ever calls ``now()`` (never ``timezone.now()`` where time decides
what may happen).
"""

from __future__ import annotations

from contextlib import contextmanager
from datetime import datetime, timedelta

from django.utils import timezone

_frozen: list[datetime] = []


def now() -> datetime:
    return _frozen[-1] if _frozen else timezone.now()


@contextmanager
def frozen_at(moment: datetime):
    """Stop the clock at ``moment`` inside the block (blocks nest)."""
    _frozen.append(moment)
    try:
        yield
    finally:
        _frozen.pop()


def advance(delta: timedelta) -> datetime:
    """Move a frozen clock forward; only valid inside ``frozen_at``."""
    if not _frozen:
        raise RuntimeError("advance() needs a frozen clock")
    _frozen[-1] = _frozen[-1] + delta
    return _frozen[-1]
