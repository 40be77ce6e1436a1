"""Progress arithmetic, apart from the database so it can be checked exhaustively.

* A target's ratio is how far its current value has come towards its quantity (0–1).
* A task's progress is the mean ratio of its targets when it has targets, otherwise the
  latest percentage its units reported.
* A section's progress is the weighted combination of its children's:
  ``sum(w_i * p_i) / sum(w_i)`` over children with a positive weight (0 if none).
* A task's supervision status (done, overdue, not reported, at risk, on track) follows from
  its progress, its deadline, how much of its time has passed and when it was last reported.
"""

from __future__ import annotations

from collections.abc import Iterable
from datetime import date
from decimal import Decimal

from django.db import models
from django.utils.translation import gettext_lazy as _

ZERO = Decimal("0")
ONE = Decimal("1")
#: How far behind the time elapsed a task may be before it is "at risk" (25 points).
AT_RISK_GAP = Decimal("0.25")
#: An "about" (左右) target counts as met within 5 % below its quantity.
ABOUT_TOLERANCE = Decimal("0.95")


class Status(models.TextChoices):
    DONE = "done", _("Done")
    ON_TRACK = "on_track", _("On track")
    AT_RISK = "at_risk", _("At risk")
    OVERDUE = "overdue", _("Overdue")
    NOT_REPORTED = "not_reported", _("Not reported")


def clamp(value: Decimal) -> Decimal:
    return max(ZERO, min(ONE, value))


def target_ratio(comparator: str, quantity: Decimal, current: Decimal | None) -> Decimal:
    """0–1: how far ``current`` has come towards the target.

    For an upper bound (≤, <) there is nothing to accumulate: the target is either kept (1)
    or not (0), and without a value it is not known to be kept.
    """
    if current is None:
        return ZERO
    if comparator in ("≤", "<"):
        return ONE if target_met(comparator, quantity, current) else ZERO
    if quantity <= 0:
        return ONE if current >= quantity else ZERO
    return clamp(Decimal(current) / Decimal(quantity))


def target_met(comparator: str, quantity: Decimal, current: Decimal | None) -> bool:
    if current is None:
        return False
    if comparator == ">":
        return current > quantity
    if comparator == "≈":
        return current >= quantity * ABOUT_TOLERANCE
    if comparator == "≤":
        return current <= quantity
    if comparator == "<":
        return current < quantity
    return current >= quantity  # ≥ and a bare number: reached


def task_progress(target_ratios: Iterable[Decimal], latest_percent: Decimal | None) -> Decimal:
    ratios = list(target_ratios)
    if ratios:
        return sum(ratios, ZERO) / len(ratios)
    if latest_percent is None:
        return ZERO
    return clamp(Decimal(latest_percent) / 100)


def weighted_progress(children: Iterable[tuple[Decimal, Decimal]]) -> Decimal:
    """The weighted combination of ``(weight, progress)`` pairs; children of weight 0 do not count."""
    total_weight = ZERO
    total = ZERO
    for weight, progress in children:
        if weight > 0:
            total_weight += weight
            total += weight * progress
    if total_weight == 0:
        return ZERO
    return total / total_weight


def expected_progress(start: date, deadline: date, today: date) -> Decimal:
    """Share of the task's time that has passed (0 before the start, 1 at the deadline)."""
    if deadline <= start:
        return ONE if today >= deadline else ZERO
    return clamp(Decimal((today - start).days) / Decimal((deadline - start).days))


def task_status(
    *,
    progress: Decimal,
    deadline: date,
    start: date,
    today: date,
    last_report: date | None,
    is_live: bool,
    report_interval_days: int,
) -> str:
    if progress >= ONE:
        return Status.DONE
    if today > deadline:
        return Status.OVERDUE
    if not is_live and (last_report is None or (today - last_report).days > report_interval_days):
        return Status.NOT_REPORTED
    if expected_progress(start, deadline, today) - progress > AT_RISK_GAP:
        return Status.AT_RISK
    return Status.ON_TRACK
