"""Rolling units' forms up to a district's table and districts' tables up to the city's, counting each record once.

The rule, as the pages state it:

* A level's figure is the sum of the figures of the units' forms below it, minus the records that
  more than one of those forms counted (``SharedFigure``): a co-hosted activity, a volunteer in two
  teams. (A service order is counted by the unit that claimed it only, so it is never shared.)
* Each such record is kept once: its sessions and person-times are credited to the lead organizer
  (the activity's organizer); where no form below the level holds
  the lead (a person has no lead), the form of the lowest number keeps it. The other copies are
  "removed" and the page says how many.
* A figure a unit changed is taken as it stands: its difference from the platform's count is the
  unit's own correction or addition, and the duplicates removed are those among the platform's
  records. So the table equals an independent recount of the platform's records plus the units'
  corrections.

Aggregation ``sum``, ``area`` and ``headcount`` all follow this rule; they differ in what a record
is (an event, a venue, a person). Figures the platform does not count (funding, staff) have no
records, and are summed as the units gave them.
"""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass, field
from decimal import Decimal

from django.db.models import Count, Max, Q, QuerySet, Sum

from kepu.statistics.models import Indicator, Report, ReportLevel, SharedFigure, Value


@dataclass
class Line:
    """One indicator of a rolled-up table."""

    indicator: Indicator
    units_sum: Decimal | None = None
    removed: Decimal = Decimal(0)
    records: int = 0  # records counted more than once
    copies: int = 0  # the extra copies removed
    filled: int = 0  # forms that gave a value

    @property
    def total(self) -> Decimal | None:
        if self.units_sum is None:
            return None
        return self.units_sum - self.removed


@dataclass
class Table:
    lines: list[Line]
    forms: int
    removed_records: int = 0
    by_code: dict = field(default_factory=dict)

    def __post_init__(self):
        self.by_code = {line.indicator.code: line for line in self.lines}

    def values(self) -> dict[str, Decimal | None]:
        return {code: line.total for code, line in self.by_code.items()}


def indicators_for(year: int, kind: str | None = None) -> list[Indicator]:
    """The indicators in force in ``year`` (that ``kind`` of unit fills, when given), in the forms' order."""
    qs = (
        Indicator.objects.filter(valid_from__lte=year)
        .filter(Q(valid_to__isnull=True) | Q(valid_to__gte=year))
        .select_related("table")
        .order_by("table__position", "position", "code")
    )
    return [i for i in qs if kind is None or i.applies(kind)]


def _sums(values: QuerySet[Value], group: str | None = None) -> dict:
    fields = ["indicator_id"] + ([group] if group else [])
    rows = values.exclude(value__isnull=True).values(*fields).annotate(s=Sum("value"), n=Count("pk")).order_by()
    return {tuple(r[f] for f in fields): (r["s"], r["n"]) for r in rows}


def _duplicates(values: QuerySet[Value], group: str | None = None) -> dict:
    """(indicator id[, group]) -> (weight removed, records, copies) among the shared records of ``values``."""
    fields = ["value__indicator_id"] + ([f"value__{group}"] if group else [])
    rows = (
        SharedFigure.objects.filter(value__in=values)
        .values(*fields, "key")
        .annotate(n=Count("pk"), w=Sum("weight"), kept=Max("weight", filter=Q(lead=True)), top=Max("weight"))
        .filter(n__gt=1)
        .order_by()
    )
    out: dict = defaultdict(lambda: [Decimal(0), 0, 0])
    for r in rows:
        kept = r["kept"] if r["kept"] is not None else r["top"]
        acc = out[tuple(r[f] for f in fields)]
        acc[0] += r["w"] - kept
        acc[1] += 1
        acc[2] += r["n"] - 1
    return out


def _table(indicators: list[Indicator], sums: dict, dups: dict, forms: int, key=()) -> Table:
    lines = []
    removed_records = 0
    for ind in indicators:
        s, n = sums.get((ind.pk, *key), (None, 0))
        w, records, copies = dups.get((ind.pk, *key), (Decimal(0), 0, 0))
        lines.append(Line(ind, s, w if s is not None else Decimal(0), records, copies, n))
        removed_records += copies
    return Table(lines, forms, removed_records)


def unit_values(reports: QuerySet[Report]) -> QuerySet[Value]:
    return Value.objects.filter(report__in=reports, report__level=ReportLevel.UNIT)


def table_of(reports: QuerySet[Report], year: int) -> Table:
    """The rolled-up table over the unit forms ``reports`` (of one year)."""
    values = unit_values(reports)
    return _table(indicators_for(year), _sums(values), _duplicates(values), reports.count())


def tables_by_district(reports: QuerySet[Report], year: int) -> tuple[dict[int, Table], Table]:
    """Each district's table over ``reports`` and the table over all of them (its duplicates across districts
    removed too): the city's view, in four queries whatever the number of districts."""
    indicators = indicators_for(year)
    values = unit_values(reports)
    sums = _sums(values, "report__district_id")
    dups = _duplicates(values, "report__district_id")
    counts = dict(reports.values_list("district_id").annotate(n=Count("pk")).order_by())
    per_district = {d: _table(indicators, sums, dups, n, (d,)) for d, n in counts.items()}
    overall = _table(indicators, _sums(values), _duplicates(values), sum(counts.values()))
    return per_district, overall
