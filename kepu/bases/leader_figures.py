"""The science bases' section of the leaders' page (``kepu.core.figures``): bases certified and their visitors.

The same definitions as the measures (``kepu/bases/measures.py``): a base counts where it stands, certified on
the last day of the year (today for the year in progress); visitors are those checked in or walking in at the
visit slots of the bases that held a title in the year, read from the activities engine in one grouped query.
"""

from __future__ import annotations

from decimal import Decimal

from django.db.models import Count, Q
from django.urls import reverse
from django.utils.translation import gettext_lazy as _

from kepu.bases.measures import TOTALS_CACHE_SECONDS, _bases, _period
from kepu.bases.models import IN_FORCE
from kepu.core import clock
from kepu.core.figures import FigureDef, FigureProvider, by_path_prefix, register_provider


def values(places, year: int) -> dict[str, dict]:
    first, last = _period({"year": year})
    certified = by_path_prefix(
        _bases({}, first=last, last=last).filter(standing__in=IN_FORCE), "place_path", places, {"n": Count("pk")}
    )
    visitors_of = _visitors(places, first, last)
    out = {}
    for p in places:
        out[p.code] = {
            "bases.certified": Decimal(certified[p.code]["n"] or 0),
            "bases.visitors": Decimal(visitors_of[p.code]),
        }
    return out


def _visitors(places, first, last) -> dict[str, int]:
    """Visitors per place. A city's year is half a million visit slots: kept as long as the measures keep theirs
    (``TOTALS_CACHE_SECONDS``), so the page and a plan's target read the same figure for those minutes."""
    from django.core.cache import cache

    from kepu.activities.selectors import venue_visit_by_venue

    key = f"kepu.bases.leaders:{first}:{last}:" + ",".join(sorted(p.code for p in places))
    found = cache.get(key)
    if found is not None:
        return found
    q = Q()
    for p in places:
        q |= Q(place_path__startswith=p.path)
    venues = list(
        _bases({}, first=first, last=last).filter(q).filter(~Q(venue=None)).values_list("venue_id", "place_path")
    )
    per_venue = venue_visit_by_venue([v for v, _p in venues], first, last, clock.now()) if venues else {}
    found = {
        p.code: sum(per_venue.get(v, {}).get("visitors", 0) for v, path in venues if path.startswith(p.path))
        for p in places
    }
    cache.set(key, found, TOTALS_CACHE_SECONDS)
    return found


def records_url(key: str, place, year: int) -> str:
    if place.level == "district":
        return reverse("bases:list") + f"?district={place.code}"
    return reverse("bases:list")


def register() -> None:
    register_provider(
        FigureProvider(
            section="bases",
            label=_("Science bases"),
            order=40,
            figures=(
                FigureDef("bases.certified", _("Science bases certified"), "个", measure="bases.certified"),
                FigureDef("bases.visitors", _("Visitors at science bases"), "人次", measure="bases.visitors"),
            ),
            values=values,
            records_url=records_url,
        )
    )
