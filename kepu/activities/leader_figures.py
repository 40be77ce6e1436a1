"""The activities' section of the leaders' page (``kepu.core.figures``): sessions and person-times (人次).

Read from the monthly roll-ups the services keep under each session's lock (``FiguresMonthDistrict`` for the city
and its districts, ``FiguresMonth`` for a street): the months of the
year up to the current one, as the activities dashboard counts them (a session of an activity or a delivered
service order, published and not cancelled; person-times are the attendance by key population). The roll-up is by
month, so the current month's sessions count from the start of the month, including those later this month.
"""

from __future__ import annotations

from datetime import date, datetime, time, timedelta
from decimal import Decimal
from urllib.parse import urlencode

from django.db.models import Sum
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext_lazy as _
from django.utils.translation import pgettext_lazy

from kepu.activities.measures import PERSON_TIMES
from kepu.activities.models import ATTENDANCE_FIELDS, FiguresMonth, FiguresMonthDistrict, Session, Theme
from kepu.core import clock
from kepu.core.figures import Breakdown, FigureDef, FigureProvider, by_path_prefix, register_provider
from kepu.core.populations import Population

SUMS = {"sessions": Sum("sessions"), "services": Sum("services"), **{f: Sum(f) for f in ATTENDANCE_FIELDS.values()}}


def _months(year: int, model=FiguresMonth):
    """Roll-up rows of ``year`` up to the current month (later months hold sessions not held yet)."""
    today = timezone.localdate(clock.now())
    last = date(year, 12, 1) if year < today.year else today.replace(day=1)
    return model.objects.filter(month__gte=date(year, 1, 1), month__lte=last)


def _figures(row: dict) -> dict[str, Decimal]:
    return {
        "activities.sessions": Decimal((row.get("sessions") or 0) + (row.get("services") or 0)),
        "activities.person_times": Decimal(sum(row.get(f) or 0 for f in ATTENDANCE_FIELDS.values())),
    }


def values(places, year: int) -> dict[str, dict]:
    """The city and its districts from the district table (a few thousand rows for a city's year); streets from
    the fine table, narrowed first to their districts by its (district, month) index."""
    out: dict[str, dict] = {}
    wide = [p for p in places if p.level in ("city", "district")]
    if wide:
        by_district = {
            r["district_code"]: r
            for r in _months(year, FiguresMonthDistrict).values("district_code").annotate(**SUMS).order_by()
        }
        for p in wide:
            rows = by_district.values() if p.level == "city" else [by_district.get(p.district_code, {})]
            out[p.code] = _figures({k: sum(r.get(k) or 0 for r in rows) for k in SUMS})
    narrow = [p for p in places if p.level not in ("city", "district")]
    if narrow:
        fine = _months(year).filter(district_code__in={p.district_code for p in narrow})
        out.update({code: _figures(row) for code, row in by_path_prefix(fine, "place_path", narrow, SUMS).items()})
    return out


def details(place, year: int) -> list[Breakdown]:
    if place.level == "city":
        rows = _months(year, FiguresMonthDistrict)
    elif place.level == "district":
        rows = _months(year, FiguresMonthDistrict).filter(district_code=place.district_code)
    else:
        rows = _months(year).filter(district_code=place.district_code, place_path__startswith=place.path)
    totals = rows.aggregate(**{f: Sum(f) for f in ATTENDANCE_FIELDS.values()})
    by_population = tuple((str(Population(p).label), Decimal(totals[f] or 0)) for p, f in ATTENDANCE_FIELDS.items())
    themed = (
        rows.exclude(theme_id=0)
        .values("theme_id")
        .annotate(s=Sum("sessions"), **{f: Sum(f) for f in ATTENDANCE_FIELDS.values()})
        .order_by()
    )
    themed = list(themed)
    names = dict(Theme.objects.filter(pk__in=[r["theme_id"] for r in themed]).values_list("pk", "name"))
    by_theme = sorted(
        ((names.get(r["theme_id"], "—"), Decimal(sum(r[f] or 0 for f in ATTENDANCE_FIELDS.values()))) for r in themed),
        key=lambda row: (-row[1], row[0]),
    )
    return [
        Breakdown(_("Person-times by key population"), "人次", by_population),
        Breakdown(_("Person-times by theme day"), "人次", tuple(by_theme[:10])),
        Breakdown(_("Most attended activities"), "人次", _notable(place, year)),
    ]


def _notable(place, year: int, limit: int = 5) -> tuple:
    """The activities with the most person-times this year in the place: the few a report names (one query over
    the year's sessions of the place, by the figures' own index)."""
    first = datetime.combine(date(year, 1, 1), time.min, tzinfo=timezone.get_current_timezone())
    end = min(datetime.combine(date(year + 1, 1, 1), time.min, tzinfo=first.tzinfo), clock.now())
    rows = (
        Session.objects.filter(
            counted=True, is_cancelled=False, starts_at__gte=first, starts_at__lt=end, place_path__startswith=place.path
        )
        .values("activity_id", "activity__title")
        .annotate(pt=Sum(PERSON_TIMES))
        .order_by("-pt", "activity_id")[:limit]
    )
    return tuple((r["activity__title"], Decimal(r["pt"] or 0)) for r in rows if r["pt"])


def records_url(key: str, place, year: int) -> str:
    """The dashboard over the same months (to the end of this month for the year in progress) and place."""
    today = timezone.localdate(clock.now())
    last = date(year, 12, 31) if year < today.year else (today.replace(day=28) + timedelta(days=4)).replace(day=1)
    if year >= today.year:
        last -= timedelta(days=1)
    query = {"from": f"{year}-01-01", "to": last.isoformat(), "place": place.code}
    return reverse("activities:dashboard") + "?" + urlencode(query)


def register() -> None:
    register_provider(
        FigureProvider(
            section="activities",
            label=_("Activities"),
            order=20,
            figures=(
                FigureDef(
                    "activities.sessions", pgettext_lazy("activity", "Sessions"), "场", measure="activities.held"
                ),
                FigureDef("activities.person_times", _("Person-times"), "人次", measure="activities.person_times"),
            ),
            values=values,
            records_url=records_url,
            details=details,
        )
    )
