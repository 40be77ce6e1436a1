"""The volunteers' section of the leaders' page (``kepu.core.figures``): registered volunteers and service hours.

A volunteer counts where the organization they volunteer for sits, each person once per place (a person in two
teams of one district is one volunteer of that district), from the per-place counts accounts keeps of the
memberships (``kepu.accounts.holders``); hours count where the organization that credited them
sits, on the day served. Both by one grouped query per level of place, as the measures define them; the hours
from the tables the ledger's service keeps, never from the ledger itself: the city and its districts from the
month × district table (``HoursMonthDistrict``, a few hundred rows for a city's year), streets and communities
from the month × organization table (``HoursMonth``) through its (place path, month) index.
"""

from __future__ import annotations

from datetime import date
from decimal import Decimal
from urllib.parse import urlencode

from django.db.models import Sum
from django.urls import reverse
from django.utils.translation import gettext_lazy as _

from kepu.accounts.selectors import role_holder_counts
from kepu.core.figures import FigureDef, FigureProvider, by_path_prefix, register_provider
from kepu.core.roles import Role
from kepu.volunteers.models import HoursMonth, HoursMonthDistrict


def values(places, year: int) -> dict[str, dict]:
    people = role_holder_counts(Role.VOLUNTEER, [p.path for p in places], year)
    minutes = _minutes(places, year)
    return {
        p.code: {
            "volunteers.registered": Decimal(people[p.path]),
            "volunteers.hours": (Decimal(minutes[p.code] or 0) / 60).quantize(Decimal("0.1")),
        }
        for p in places
    }


def _minutes(places, year: int) -> dict[str, int]:
    months = {"month__gte": date(year, 1, 1), "month__lte": date(year, 12, 1)}
    out: dict[str, int] = {}
    wide = [p for p in places if p.level in ("city", "district")]
    if wide:
        by_district = dict(
            HoursMonthDistrict.objects.filter(**months)
            .values("district_code")
            .annotate(m=Sum("minutes"))
            .order_by()
            .values_list("district_code", "m")
        )
        for p in wide:
            out[p.code] = sum(by_district.values()) if p.level == "city" else by_district.get(p.district_code, 0)
    narrow = [p for p in places if p.level not in ("city", "district")]
    if narrow:
        rows = by_path_prefix(HoursMonth.objects.filter(**months), "place_path", narrow, {"m": Sum("minutes")})
        out.update({code: row["m"] for code, row in rows.items()})
    return out


def records_url(key: str, place, year: int) -> str:
    if key == "volunteers.hours":
        return reverse("volunteers:hours_overview") + "?" + urlencode({"place": place.code, "year": year})
    return reverse("volunteers:hours_overview")


def register() -> None:
    register_provider(
        FigureProvider(
            section="volunteers",
            label=_("Volunteers"),
            order=30,
            figures=(
                FigureDef("volunteers.registered", _("Volunteers registered"), "人", measure="volunteers.registered"),
                FigureDef("volunteers.hours", _("Volunteer service hours"), "小时", measure="volunteers.hours"),
            ),
            values=values,
            records_url=records_url,
        )
    )
