"""What the platform knows a base did in a year: the figures of its annual self-report, each with its records.

Every figure is read from the app that keeps the records, through its selectors: visit slots,
bookings and check-ins from activities (the base's venue), activities held and person-times
from activities (organized by the host organization or held at the venue), volunteer hours
from the volunteers' ledger (needs posted for those activities), service orders from orders.
Only what has happened by ``until`` counts (a slot that has not begun is not an open day).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime

from django.utils import timezone
from django.utils.translation import gettext_lazy as _
from django.utils.translation import pgettext_lazy

from kepu.activities import selectors as activities
from kepu.bases.models import Base
from kepu.core import clock
from kepu.orders import selectors as orders
from kepu.volunteers import selectors as volunteers


@dataclass(frozen=True)
class Figure:
    key: str
    label: str
    unit: str


FIGURES = (
    Figure("open_days", _("Open days (days with visit slots)"), pgettext_lazy("unit", "days")),
    Figure("slots", _("Visit slots"), pgettext_lazy("unit", "slots")),
    Figure("bookings", _("People booked"), pgettext_lazy("unit", "people")),
    Figure("checked_in", _("Visitors checked in"), pgettext_lazy("unit", "people")),
    Figure("walk_ins", _("Walk-in visitors"), pgettext_lazy("unit", "people")),
    Figure("visitors", _("Visitors (checked in and walk-ins)"), pgettext_lazy("unit", "person-times")),
    Figure("activities", _("Activities held (sessions)"), pgettext_lazy("unit", "sessions")),
    Figure("person_times", _("Person-times at activities"), pgettext_lazy("unit", "person-times")),
    Figure("volunteer_hours", _("Volunteer hours served there"), pgettext_lazy("unit", "hours")),
    Figure("orders", _("Service orders delivered"), pgettext_lazy("unit", "orders")),
)
KEYS = tuple(f.key for f in FIGURES)
#: Which figures share one page of records.
RECORDS_OF = {
    "open_days": "visits",
    "slots": "visits",
    "bookings": "visits",
    "checked_in": "visits",
    "walk_ins": "visits",
    "visitors": "visits",
    "activities": "activities",
    "person_times": "activities",
    "volunteer_hours": "hours",
    "orders": "orders",
}


def period(year: int) -> tuple[date, date]:
    return date(year, 1, 1), date(year, 12, 31)


def base_figures(base: Base, year: int, until: datetime | None = None) -> dict:
    """The year's figures of ``base`` as the records stand now (or at ``until``)."""
    until = until or clock.now()
    first, last = period(year)
    out = dict(activities.venue_visit_figures(base.venue_id, first, last, until))
    out.update(activities.held_figures_at(base.venue_id, base.organization_id, first, last, until))
    minutes = sum(e.minutes for e in hours_records(base, year))
    out["volunteer_hours"] = round(minutes / 60, 1)
    out["orders"] = orders.orders_delivered_for(
        organization_id=base.organization_id, first_day=first, last_day=last
    ).count()
    return {k: out[k] for k in KEYS}


def snapshot(base: Base, year: int, now: datetime) -> dict:
    """The figures as submitted, with the moment they were read."""
    return {**base_figures(base, year, now), "read_at": now.isoformat()}


def visit_records(base: Base, year: int, until: datetime | None = None):
    first, last = period(year)
    return activities.venue_visit_sessions(base.venue_id, first, last, until or clock.now())


def activity_records(base: Base, year: int, until: datetime | None = None):
    first, last = period(year)
    return activities.held_sessions_at(base.venue_id, base.organization_id, first, last, until or clock.now())


def hours_records(base: Base, year: int):
    first, last = period(year)
    ids = activities.activities_at(base.venue_id, base.organization_id).values_list("pk", flat=True)
    return volunteers.hours_at_activities(list(ids), first, last)


def order_records(base: Base, year: int):
    first, last = period(year)
    return orders.orders_delivered_for(organization_id=base.organization_id, first_day=first, last_day=last)


def current_year() -> int:
    return timezone.localdate(clock.now()).year
