"""What the activities selectors share: local days, the areas whose figures an actor sees, periods."""

from __future__ import annotations

from datetime import date, datetime, time, timedelta

from django.db.models import QuerySet, Sum
from django.utils import timezone

from kepu.activities.models import ATTENDANCE_FIELDS, DeliveredService, Session, Theme
from kepu.activities.permissions import delivered_service_figures, session_figures
from kepu.core.actor import Actor


def _day_start(d: date) -> datetime:
    return datetime.combine(d, time.min, tzinfo=timezone.get_current_timezone())


def _theme_id(slug: str) -> int:
    return Theme.objects.filter(slug=slug).values_list("pk", flat=True).first() or 0


TALLY_SUMS = {
    "registered": Sum("registered"),
    "checked_in": Sum("checked_in"),
    "walk_ins": Sum("walk_in_count"),
    "survey_sum": Sum("survey_sum"),
    "survey_count": Sum("survey_count"),
    **{p: Sum(f) for p, f in ATTENDANCE_FIELDS.items()},
}


ROLLUP_SUMS = {
    "activities": Sum("activities"),
    "sessions": Sum("sessions"),
    "services": Sum("services"),
    "registered": Sum("registered"),
    "checked_in": Sum("checked_in"),
    "walk_ins": Sum("walk_ins"),
    "survey_sum": Sum("survey_sum"),
    "survey_count": Sum("survey_count"),
    **{p: Sum(f) for p, f in ATTENDANCE_FIELDS.items()},
}


def _split_period(date_from: date, date_to: date) -> tuple[tuple[date, date] | None, list[tuple[date, date]]]:
    """The whole months of a period for the roll-up, and the days around them for the sessions.

    The months are (first day of the first whole month, first day of the month after the last
    one), None when the period holds no whole month; then the days are the whole period. Empty
    day ranges are left out.
    """
    first_month = date_from if date_from.day == 1 else (date_from.replace(day=1) + timedelta(days=32)).replace(day=1)
    end_month = (date_to + timedelta(days=1)).replace(day=1)  # the first day of the month after the last whole one
    if end_month <= first_month:
        return None, [(date_from, date_to)] if date_from <= date_to else []
    edges = [(date_from, first_month - timedelta(days=1)), (end_month, date_to)]
    return (first_month, end_month), [(d1, d2) for d1, d2 in edges if d1 <= d2]


def _period_records(
    actor: Actor,
    start: datetime,
    end: datetime,
    *,
    theme: str = "",
    organization_id: int | None = None,
    district: str = "",
    activity_id: int | None = None,
    place_path: str = "",
) -> tuple[QuerySet[Session], QuerySet[DeliveredService]]:
    """The sessions starting and the orders delivered (not as an activity) from ``start`` to ``end``, filtered.

    Delivered orders have no theme and no activity: either filter leaves them out.
    """
    sessions = session_figures(actor).filter(starts_at__gte=start, starts_at__lt=end)
    services = delivered_service_figures(actor).filter(delivered_at__gte=start, delivered_at__lt=end)
    if theme:
        sessions = sessions.filter(theme_id_copy=_theme_id(theme))
        services = services.none()
    if organization_id:
        sessions = sessions.filter(organization_id_copy=organization_id)
        services = services.filter(organization_id=organization_id)
    if district:
        sessions = sessions.filter(district_code=district)
        services = services.filter(district_code=district)
    if place_path:
        sessions = sessions.filter(place_path__startswith=place_path)
        services = services.filter(place_path__startswith=place_path)
    if activity_id:
        sessions = sessions.filter(activity_id=activity_id)
        services = services.none()
    return sessions, services
