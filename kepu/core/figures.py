"""The registry of figure providers: what the leaders' page (一张图) and the monthly report show, per place.

The leaders' app owns no figures. Each app registers one provider per section of the page (orders, activities,
volunteers …) in its ``ready()``; a provider reads its app's own roll-ups and tables and answers, for a list of
places and a year, every figure of its section in a few grouped queries (one per level of place asked about,
never one per place), so the page costs the same for a district with three streets or thirty.

Contract for a provider:

* ``values(places, year) -> {place code: {figure key: Decimal | None}}``: ``places`` are place objects (``pk``,
  ``code``, ``path``, ``level``, ``district_code``); a figure counts the records of the place's whole subtree in
  that calendar year (local time) — up to today for the year in progress. None means "not measured here" (the
  literacy survey estimates no street), which the page shows as a dash, never as 0. Like the measures
  (``kepu.core.measures``), a figure does not depend on who asks: the leaders' app decides who may see a place.
* ``records_url(key, place, year) -> str``: the app's own list of the records a figure counts, filtered as far as
  that list allows, or "".
* ``details(place, year) -> [Breakdown]``: optional, breakdowns of the section for one place (person-times by key
  population, sessions by theme) shown under its figures.
* ``levels``: the place levels the provider answers for (a city-wide figure that has no district split says
  ``{"city"}``); the map offers only figures measured at the level of its places.

A section nobody registered (an app switched off) is shown as "not connected" rather than as zeros:
``EXPECTED_SECTIONS`` lists what the page expects.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass
from decimal import Decimal
from typing import Any

from django.db import connections
from django.db.models import Q
from django.db.models.functions import Substr

#: The sections the leaders' page expects, in page order; a section without a provider is shown as not connected.
EXPECTED_SECTIONS = ("orders", "activities", "volunteers", "bases", "resources", "emergency", "plans", "literacy")
ALL_LEVELS = frozenset({"city", "district", "street"})


@dataclass(frozen=True)
class FigureDef:
    key: str
    label: Any
    unit: str
    #: The measure (``kepu.core.measures``) a plan target binds to for this figure, to set the two side by side.
    measure: str = ""
    #: A percentage or a mean: never summed, and compared year on year by points, not by ratio.
    rate: bool = False
    #: Offered on the map and in the table of the places below.
    mappable: bool = True


@dataclass(frozen=True)
class Breakdown:
    title: Any
    unit: str
    rows: tuple[tuple[str, Decimal], ...]


@dataclass(frozen=True)
class FigureProvider:
    section: str
    label: Any
    figures: tuple[FigureDef, ...]
    values: Callable[[Sequence[Any], int], dict[str, dict[str, Decimal | None]]]
    records_url: Callable[[str, Any, int], str] = lambda key, place, year: ""
    details: Callable[[Any, int], list[Breakdown]] | None = None
    levels: frozenset = ALL_LEVELS
    order: int = 100


_providers: dict[str, FigureProvider] = {}


def register_provider(provider: FigureProvider) -> FigureProvider:
    """Add (or replace, for the same section) a provider."""
    _providers[provider.section] = provider
    return provider


def unregister_provider(section: str) -> None:
    _providers.pop(section, None)


def providers() -> list[FigureProvider]:
    return sorted(_providers.values(), key=lambda p: (p.order, p.section))


def provider(section: str) -> FigureProvider | None:
    return _providers.get(section)


def figure_def(key: str) -> tuple[FigureProvider, FigureDef] | None:
    for p in _providers.values():
        for f in p.figures:
            if f.key == key:
                return p, f
    return None


# --- Helpers the providers share ---------------------------------------------------------------------
def by_path_prefix(
    queryset, path_field: str, places: Iterable[Any], aggregates: dict, *, key: str = "leaders_prefix"
) -> dict[str, dict]:
    """``aggregates`` over ``queryset`` for each place's subtree, one grouped query per path length.

    Places of one level have paths of one length (``110000/110115/``), so the records of each are those whose
    path starts with it: grouping on the path's first characters answers every place of a level at once.
    """
    out: dict[str, dict] = {}
    by_length: dict[int, list] = defaultdict(list)
    for place in places:
        by_length[len(place.path)].append(place)
    # SQLite's LIKE is case-insensitive and never uses an index; under its binary collation every path starting
    # with "110000/110115/" lies in ["110000/110115/", "110000/1101150"), a range the (path, …) indexes serve. The
    # LIKE stays, so the range only narrows. (PostgreSQL's pattern-ops indexes serve the LIKE itself.)
    ranged = connections[queryset.db].vendor == "sqlite"
    for length, group in by_length.items():
        q = Q()
        for place in group:
            one = Q(**{f"{path_field}__startswith": place.path})
            if ranged and place.path:
                upper = place.path[:-1] + chr(ord(place.path[-1]) + 1)
                one &= Q(**{f"{path_field}__gte": place.path, f"{path_field}__lt": upper})
            q |= one
        rows = (
            queryset.filter(q)
            .annotate(**{key: Substr(path_field, 1, length)})
            .values(key)
            .annotate(**aggregates)
            .order_by()
        )
        found = {r[key]: r for r in rows}
        for place in group:
            out[place.code] = found.get(place.path) or dict.fromkeys(aggregates, None)
    return out


def number(value) -> Decimal:
    return Decimal(value or 0)


def percent(part, whole) -> Decimal | None:
    """``part`` of ``whole`` in per cent with one decimal, None when there is nothing to divide."""
    if not whole:
        return None
    return (Decimal(part or 0) * 100 / Decimal(whole)).quantize(Decimal("0.1"))


_targets: list[Callable[[Any, int], dict[str, list]]] = []


def register_targets(fn: Callable[[Any, int], dict[str, list]]) -> None:
    """``fn(place, year) -> {measure key: [target, …]}``: the plans' targets that count a measure at that place
    in that year (each target an object with ``quantity``, ``comparator``, ``label`` and ``url``)."""
    _targets[:] = [fn]


def targets_at(place, year: int) -> dict[str, list]:
    return _targets[0](place, year) if _targets else {}
