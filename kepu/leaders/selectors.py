"""Every read of the leaders' page: a place the viewer may see, and its figures from the registered providers.

The page computes nothing itself: each section's provider (``kepu.core.figures``) answers for the place and the
places below it in a few grouped queries, this year and last; plan targets come from the plans' registered
hook. A section nobody has registered (an app switched off) is listed as not connected.
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass, field, replace
from datetime import datetime
from decimal import Decimal
from typing import Any

from django.conf import settings
from django.core.cache import cache
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from kepu.core import clock
from kepu.core.actor import Actor
from kepu.core.dbrouter import use_replica
from kepu.core.errors import NotAllowed, NotFound
from kepu.core.figures import EXPECTED_SECTIONS, Breakdown, FigureDef, providers, targets_at
from kepu.core.permissions import get_visible, scope
from kepu.leaders.models import MonthlyReport
from kepu.leaders.permissions import may_view, sees_place
from kepu.places.selectors import children_of, place_by_code_or_none

#: Names of sections whose app is not connected yet, for the page to say so.
SECTION_NAMES = {"emergency": _("Emergency science communication")}
#: The figure the map and the table of places below colour by when none is chosen.
DEFAULT_FIGURE = "activities.person_times"


def cache_seconds() -> int:
    """How long the page keeps a place's figures (``KEPU_LEADERS_CACHE_SECONDS``, 5 minutes by default). The figures
    are roll-ups of whole years that leaders read many times a day; recounting them on every view cost a city page
    about 150 ms of CPU. The page says when its figures were taken; the monthly report always counts afresh."""
    return int(getattr(settings, "KEPU_LEADERS_CACHE_SECONDS", 300))


def this_year() -> int:
    return timezone.localdate(clock.now()).year


def home_place(actor: Actor):
    """The place a viewer's page opens on: the one their office sits in."""
    if not may_view(actor):
        raise NotAllowed()
    place = actor.place
    if place is None or not sees_place(actor, place):
        raise NotAllowed()
    return place


def place_for(actor: Actor, code: str):
    """A place the viewer may see; any other (another district, a community, an unknown code) is not found."""
    if not may_view(actor):
        raise NotAllowed()
    place = place_by_code_or_none(code)
    if place is None or not sees_place(actor, place):
        raise NotFound()
    return place


def children(place) -> list:
    if place.level not in ("city", "district"):
        return []
    return list(children_of(place.code).filter(level="district" if place.level == "city" else "street"))


@dataclass
class Row:
    key: str
    label: Any
    unit: str
    value: Decimal | None
    last: Decimal | None
    url: str
    rate: bool
    targets: list = field(default_factory=list)

    @property
    def change(self) -> Decimal | None:
        """Points for a rate, the difference for a count."""
        if self.value is None or self.last is None:
            return None
        return self.value - self.last

    @property
    def change_percent(self) -> Decimal | None:
        if self.rate or self.value is None or not self.last:
            return None
        return ((self.value - self.last) * 100 / self.last).quantize(Decimal("0.1"))


@dataclass
class TargetRow:
    label: str
    quantity: Decimal
    comparator: str
    unit: str
    url: str
    percent: int | None


@dataclass
class Section:
    key: str
    label: Any
    connected: bool
    rows: list[Row] = field(default_factory=list)
    breakdowns: list[Breakdown] = field(default_factory=list)
    #: The literacy rate's 95 % confidence interval and the year of the survey it comes from.
    interval: tuple = (None, None)
    survey_year: Decimal | None = None


@dataclass
class Board:
    place: Any
    year: int
    sections: list[Section]
    children: list
    figure: FigureDef | None
    child_values: dict[str, Decimal | None]
    choices: list[tuple[str, Any]]
    crumbs: list
    #: When the figures were counted (the page keeps them for ``cache_seconds()``).
    as_of: datetime | None = None

    def value(self, key: str):
        for s in self.sections:
            for r in s.rows:
                if r.key == key:
                    return r.value
        return None


def _targets_for(row: Row, fdef: FigureDef, targets: dict) -> list[TargetRow]:
    out = []
    for t in targets.get(fdef.measure, []) if fdef.measure else []:
        percent = None
        if row.value is not None and t.quantity:
            percent = int(min(row.value * 100 / t.quantity, Decimal(999)))
        out.append(TargetRow(t.label, t.quantity, t.comparator, t.unit, t.url, percent))
    return out


def _crumbs(actor: Actor, place) -> list:
    return [p for p in place.ancestors(include_self=True) if sees_place(actor, p)]


def board(*, actor: Actor, place, year: int | None = None, figure: str = "") -> Board:
    """The whole page for ``place`` (already checked with ``place_for``): every section's figures this year and last,
    the plan targets beside them, and the chosen figure for each place below."""
    if not sees_place(actor, place):
        raise NotFound()
    result = _kept_figures(place, year or this_year(), figure)
    result.crumbs = _crumbs(actor, place)
    _links_they_may_open(actor, result)
    return result


def _links_they_may_open(actor: Actor, board: Board) -> None:
    """A figure's records link (and a target's plan link) only where the viewer's role may open the page."""
    from kepu.core.http import opens

    for section in board.sections:
        for row in section.rows:
            if row.url and not opens(actor, row.url):
                row.url = ""
            for i, t in enumerate(row.targets):
                if t.url and not opens(actor, t.url):
                    row.targets[i] = replace(t, url="")


def _kept_figures(place, year: int, figure: str) -> Board:
    """``figures_of``, kept in the cache for a few minutes per place, year and figure (a copy each time: the caller
    changes links and crumbs on it). Not scoped to a viewer: whoever may see the place sees the same figures, and
    the links are checked per viewer afterwards."""
    seconds = cache_seconds()
    if seconds <= 0:
        return figures_of(place, year, figure=figure)
    registered = providers()
    if figure not in {f.key for p in registered for f in p.figures}:
        figure = ""  # an unknown figure shows the default one: one kept copy, not one per string typed
    sections = ",".join(sorted(p.section for p in registered))  # an app switched on or off counts afresh
    digest = hashlib.sha256(f"{place.pk}|{place.path}|{year}|{figure}|{sections}".encode()).hexdigest()[:32]
    key = f"kepu:leaders:board:{digest}"
    kept = cache.get(key)
    if kept is None:
        kept = figures_of(place, year, figure=figure)
        cache.set(key, kept, seconds)
    return kept


@use_replica
def figures_of(place, year: int, *, figure: str = "", with_details: bool = True) -> Board:
    """The figures of a place, for whoever the caller has checked may read them (the page, the monthly report)."""
    below = children(place)
    targets = targets_at(place, year)
    registered = {p.section: p for p in providers()}
    mappable = [
        (f.key, f.label)
        for p in registered.values()
        for f in p.figures
        if f.mappable and below and below[0].level in p.levels
    ]
    keys = [k for k, _l in mappable]
    chosen = figure if figure in keys else (DEFAULT_FIGURE if DEFAULT_FIGURE in keys else (keys[0] if keys else ""))
    sections, child_values, chosen_def = [], {}, None
    order = list(EXPECTED_SECTIONS) + [s for s in registered if s not in EXPECTED_SECTIONS]
    for key in order:
        p = registered.get(key)
        if p is None:
            sections.append(Section(key, SECTION_NAMES.get(key, key), connected=False))
            continue
        if place.level not in p.levels:
            continue
        wants_below = bool(below) and below[0].level in p.levels and any(f.key == chosen for f in p.figures)
        now = p.values([place, *below] if wants_below else [place], year)
        before = p.values([place], year - 1)
        section = Section(key, p.label, connected=True)
        for f in p.figures:
            if f.key in ("literacy.ci_low", "literacy.ci_high", "literacy.year"):
                continue  # shown with the rate itself
            row = Row(
                f.key,
                f.label,
                f.unit,
                now[place.code].get(f.key),
                before[place.code].get(f.key),
                p.records_url(f.key, place, year),
                f.rate,
            )
            row.targets = _targets_for(row, f, targets)
            section.rows.append(row)
            if f.key == chosen:
                chosen_def = f
                child_values = {c.code: now.get(c.code, {}).get(f.key) for c in below}
        if key == "literacy":
            section.interval = (now[place.code].get("literacy.ci_low"), now[place.code].get("literacy.ci_high"))
            section.survey_year = now[place.code].get("literacy.year")
        if with_details and p.details is not None:
            section.breakdowns = [b for b in p.details(place, year) if b.rows]
        sections.append(section)
    return Board(place, year, sections, below, chosen_def, child_values, mappable, [place], as_of=clock.now())


def page_url(code: str, **params) -> str:
    from urllib.parse import urlencode

    query = {k: v for k, v in params.items() if v}
    return reverse("leaders:place", args=[code]) + ("?" + urlencode(query) if query else "")


# --- Monthly reports ---------------------------------------------------------------------------------
def reports_for(*, actor: Actor, place) -> list[MonthlyReport]:
    """The reports of the place (and, for the city, of every district), newest first; the files are not read."""
    qs = scope(actor, MonthlyReport.objects.select_related("place")).defer("pdf", "docx", "figures")
    if place.level == "city":
        qs = qs.filter(place_path__startswith=place.path)
    else:
        qs = qs.filter(place_id=place.pk)
    return list(qs.order_by("-month", "place_path")[:48])


def report_get(*, actor: Actor, pk: int) -> MonthlyReport:
    return get_visible(actor, MonthlyReport.objects.select_related("place"), pk=pk)
