"""Working days: Monday to Friday, corrected by the holiday calendar the district office keeps."""

from __future__ import annotations

from datetime import date, datetime, time, timedelta

from django.db.models import Q
from django.utils import timezone

from kepu.core import clock
from kepu.orders.models import Holiday, Step, StepDeadline

DEFAULT_DAYS = {Step.DISPATCH: 1, Step.CLAIM: 2, Step.ACCEPT: 3, Step.SCHEDULE: 3, Step.RATE: 7}


def _overrides(district_id: int | None, start: date, end: date) -> dict[date, bool]:
    """{date: is_workday} for the city's entries, overridden by the district's own."""
    rows = Holiday.objects.filter(Q(district__isnull=True) | Q(district_id=district_id), date__range=(start, end))
    out: dict[date, bool] = {}
    for row in sorted(rows, key=lambda r: r.district_id is not None):  # district entries win
        out[row.date] = row.is_workday
    return out


def is_working_day(day: date, overrides: dict[date, bool]) -> bool:
    if day in overrides:
        return overrides[day]
    return day.weekday() < 5


def add_working_days(start: datetime, days: int, district_id: int | None) -> datetime:
    """The end (23:59:59 local time) of the ``days``-th working day after ``start``'s day."""
    local_start = timezone.localtime(start).date()
    # Long holidays (Spring Festival) are at most 9 days off in a row; 3× is a safe horizon.
    overrides = _overrides(district_id, local_start, local_start + timedelta(days=days * 3 + 14))
    day, counted = local_start, 0
    while counted < days:
        day += timedelta(days=1)
        if is_working_day(day, overrides):
            counted += 1
    return timezone.make_aware(datetime.combine(day, time(23, 59, 59)))


def step_days(district_id: int, step: str) -> int:
    row = StepDeadline.objects.filter(district_id=district_id, step=step).first()
    return row.working_days if row else DEFAULT_DAYS[step]


def deadline_for(step: str, *, district_id: int, start: datetime | None = None) -> datetime:
    return add_working_days(start or clock.now(), step_days(district_id, step), district_id)


def rating_deadline(*, district_id: int, delivered_at: datetime) -> datetime:
    """When a delivered order that nobody rated closes itself: calendar days, at the end of the day."""
    day = timezone.localtime(delivered_at).date() + timedelta(days=step_days(district_id, Step.RATE))
    return timezone.make_aware(datetime.combine(day, time(23, 59, 59)))
