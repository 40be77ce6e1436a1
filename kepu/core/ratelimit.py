"""Counting attempts per key in fixed windows, atomically, across processes (a row per key).

Used where a limit must hold for every web worker at once: one-time codes per phone and per
address, sign-in failures per address. Keys never hold a phone number: callers pass its blind
index. Rows are small and purged by a periodic task once their window is long over.
"""

from __future__ import annotations

from datetime import timedelta

from django.db import IntegrityError, transaction
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from kepu.core.errors import DomainError
from kepu.core.models import RateCounter


class RateLimited(DomainError):
    code = "rate_limited"
    status = 429
    default_message = _("Too many attempts. Please wait a few minutes and try again.")


def _locked_row(key: str):
    row = RateCounter.objects.select_for_update().filter(key=key).first()
    if row is not None:
        return row
    try:
        with transaction.atomic():
            return RateCounter.objects.create(key=key, window_start=timezone.now(), count=0)
    except IntegrityError:  # another process created it meanwhile
        return RateCounter.objects.select_for_update().get(key=key)


@transaction.atomic
def hit(key: str, *, limit: int, window: timedelta) -> bool:
    """Count one attempt for ``key``; True while the window holds at most ``limit`` attempts."""
    now = timezone.now()
    row = _locked_row(key[:120])
    if now - row.window_start >= window:
        row.window_start, row.count = now, 0
    row.count += 1
    row.save(update_fields=["window_start", "count"])
    return row.count <= limit


def exceeded(key: str, *, limit: int, window: timedelta) -> bool:
    """Whether ``key`` already used up its window (counts nothing)."""
    row = RateCounter.objects.filter(key=key[:120]).values_list("window_start", "count").first()
    if row is None:
        return False
    start, count = row
    return timezone.now() - start < window and count >= limit


def require(key: str, *, limit: int, window: timedelta, message=None) -> None:
    """Count an attempt and refuse it (429) past the limit."""
    if not hit(key, limit=limit, window=window):
        raise RateLimited(message)


def purge(*, older_than: timedelta = timedelta(days=1)) -> int:
    deleted, _ = RateCounter.objects.filter(window_start__lt=timezone.now() - older_than).delete()
    return deleted
