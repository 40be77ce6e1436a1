"""The measure registry: figures the platform computes from its own records, shared by every app that reads them.

Plan targets (``kepu.plans``), the annual statistics (``kepu.statistics``) and the leaders' pages read other
apps' records through here, never their tables. Each app registers the measures it can compute from its own
tables in its ``apps.ready()``.

Contract for a measure:

* ``compute(filters) -> Decimal``: the value for ``filters``, a dict with any of ``place`` (a place code:
  everything in that subtree), ``organization`` (an id), ``organizations`` (a list of ids: the records of any of
  them, each record once, co-hosted ones included), ``theme``, ``population``, ``kind``, ``year`` (int),
  ``date_from`` / ``date_to`` (ISO dates). A measure ignores filters it does not understand and never raises for
  them; it must not depend on who asks (the same figure for everybody who may see it).
* ``records_url(filters) -> str``: a link to the app's own page of the records behind the number, or "".
* ``filters``: the filter keys the measure honours. A caller that needs a filter honoured (statistics needs
  ``organizations`` and ``year``, or it would count the whole city) asks only measures that list it.
* ``records(filters)``: optional, the records the number counts, one row each (``RecordList``), so a page can
  show exactly what was counted; their weights add up to ``compute(filters)``.
* ``shared(filters)``: optional, the counted records that other organizations may count too (an activity
  co-hosted with another unit, a volunteer who belongs to two teams), each with its weight and whether the
  organizations in ``filters`` lead it. A roll-up over several organizations' figures removes the copies.
* ``figures(filters_list)``: optional, value and shared records for many filter dicts at once (one query per
  group instead of one per figure); by default ``compute`` and ``shared`` are called for each.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Sequence
from contextlib import contextmanager
from contextvars import ContextVar
from dataclasses import dataclass, field
from datetime import date
from decimal import Decimal
from typing import Any


@dataclass(frozen=True)
class SharedRecord:
    """A counted record that organizations outside the filter may count too (``key`` is stable across them)."""

    key: str
    weight: Decimal
    #: The filter's organizations lead it (the organizer of a co-hosted activity, the unit that claimed an order).
    lead: bool = False


@dataclass(frozen=True)
class Figure:
    value: Decimal
    shared: tuple[SharedRecord, ...] = ()


@dataclass(frozen=True)
class Record:
    """One record behind a figure, as a page lists it."""

    key: str
    label: str
    when: Any = None
    who: str = ""
    weight: Decimal = Decimal(1)
    url: str = ""
    note: str = ""


class RecordList(Sequence):
    """The records behind a figure, lazily: ``len`` counts, slicing fetches one page (Django's Paginator works)."""

    def __init__(self, queryset, to_record: Callable[[Any], Record]):
        self.queryset = queryset
        self.to_record = to_record
        self._count = None

    def __len__(self) -> int:
        if self._count is None:
            self._count = self.queryset.count()
        return self._count

    def count(self) -> int:  # Paginator asks for count() when it exists
        return len(self)

    def __getitem__(self, item):
        if isinstance(item, slice):
            return [self.to_record(o) for o in self.queryset[item]]
        return self.to_record(self.queryset[item])


@dataclass(frozen=True)
class Measure:
    key: str
    label: Any
    unit: str
    compute: Callable[[dict], Decimal]
    records_url: Callable[[dict], str]
    filters: frozenset = frozenset()
    records: Callable[[dict], RecordList] | None = None
    shared: Callable[[dict], Iterable[SharedRecord]] | None = None
    figures: Callable[[list[dict]], list[Figure]] | None = None
    help: Any = field(default="", compare=False)

    def honours(self, *names: str) -> bool:
        return set(names) <= self.filters


_registry: dict[str, Measure] = {}


def register_measure(
    key: str,
    label,
    unit: str,
    compute: Callable[[dict], Decimal],
    records_url: Callable[[dict], str] | None = None,
    **extra,
) -> Measure:
    """Add (or replace, for the same key) a measure. ``label`` may be a lazy translation; ``extra`` takes the
    optional parts (``filters``, ``records``, ``shared``, ``figures``, ``help``)."""
    if "filters" in extra:
        extra["filters"] = frozenset(extra["filters"])
    measure = Measure(key, label, unit, compute, records_url or (lambda filters: ""), **extra)
    _registry[key] = measure
    return measure


def put_measure(measure: Measure) -> None:
    """Put a measure back as it was (tests that replaced one with a fake)."""
    _registry[measure.key] = measure


def unregister_measure(key: str) -> None:
    """Remove a measure (tests register fakes and remove them again)."""
    _registry.pop(key, None)


def get_measure(key: str) -> Measure | None:
    return _registry.get(key)


def measures() -> list[Measure]:
    return sorted(_registry.values(), key=lambda m: m.key)


def compute_measure(key: str, filters: dict | None) -> Decimal | None:
    """The measure's value for ``filters``, or None if no such measure is registered (yet)."""
    measure = get_measure(key)
    if measure is None:
        return None
    return Decimal(measure.compute(dict(filters or {})))


def measure_records_url(key: str, filters: dict | None) -> str:
    measure = get_measure(key)
    return measure.records_url(dict(filters or {})) if measure else ""


def measure_figures(key: str, filters_list: list[dict]) -> list[Figure]:
    """Value and shared records of ``key`` for each filter dict, in order."""
    measure = get_measure(key)
    if measure is None:
        raise KeyError(key)
    filters_list = [dict(f) for f in filters_list]
    if measure.figures is not None:
        return list(measure.figures(filters_list))
    return [
        Figure(Decimal(measure.compute(f)), tuple(measure.shared(f)) if measure.shared else ()) for f in filters_list
    ]


def measure_records(key: str, filters: dict) -> RecordList | None:
    measure = get_measure(key)
    if measure is None or measure.records is None:
        return None
    return measure.records(dict(filters))


_batch: ContextVar[dict | None] = ContextVar("kepu_measure_batch", default=None)


@contextmanager
def batch():
    """Within the block, measures may share work (``memo``): the statistics count a district's forms
    in one batch, where sessions held and their person-times come from the same grouped queries."""
    token = _batch.set({})
    try:
        yield
    finally:
        _batch.reset(token)


def memo(key, compute: Callable[[], Any]):
    """``compute()``, once per ``key`` inside a ``batch()`` block; every time outside one."""
    cache = _batch.get()
    if cache is None:
        return compute()
    if key not in cache:
        cache[key] = compute()
    return cache[key]


_filter_options: dict[str, Callable[[], list[tuple[str, str]]]] = {}


def register_filter_options(name: str, options: Callable[[], list[tuple[str, str]]]) -> None:
    """Offer the values a filter may take (e.g. ``theme``: the theme days), as ``[(value, label), …]``.

    The plans' binding form shows them as a list to pick from, and ``target_bind`` refuses any other value.
    A filter nobody registered options for is not offered.
    """
    _filter_options[name] = options


def filter_options(name: str) -> list[tuple[str, str]] | None:
    options = _filter_options.get(name)
    return list(options()) if options else None


# --- Helpers the registering apps share --------------------------------------------------------
#: The filters every measure of a unit's records honours (plans' and statistics').
UNIT_FILTERS = frozenset({"place", "organization", "organizations", "year", "date_from", "date_to"})


def organization_ids(filters: dict) -> list[int] | None:
    """The organizations the filter names (``organization`` and ``organizations`` together), or None for "any"."""
    ids = set()
    if filters.get("organization") not in (None, ""):
        ids.add(int(filters["organization"]))
    if filters.get("organizations") is not None:
        ids.update(int(i) for i in filters["organizations"])
        return sorted(ids)
    return sorted(ids) if ids else None


def year_bounds(filters: dict) -> tuple[date | None, date | None]:
    """First and last day the filter allows (``year`` and ``date_from`` / ``date_to`` combined), or None."""
    first = last = None
    if filters.get("year"):
        year = int(filters["year"])
        first, last = date(year, 1, 1), date(year, 12, 31)
    if filters.get("date_from"):
        d = date.fromisoformat(str(filters["date_from"]))
        first = max(first, d) if first else d
    if filters.get("date_to"):
        d = date.fromisoformat(str(filters["date_to"]))
        last = min(last, d) if last else d
    return first, last
