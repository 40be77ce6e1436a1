"""Reads of the statistics, scoped to the actor: forms, their figures and checks, the rolled-up tables."""

from __future__ import annotations

from dataclasses import dataclass, field
from decimal import Decimal

from django.db.models import Count, QuerySet
from django.utils.translation import gettext as _
from django.utils.translation import ngettext

from kepu.core.actor import Actor
from kepu.core.measures import get_measure
from kepu.core.permissions import get_visible, scope
from kepu.statistics import rollup, validation
from kepu.statistics.models import Indicator, Report, ReportLevel, ReportStatus, RuleNote, Value, ValueChange


def report_list(*, actor: Actor, year: int | None = None, level: str = "") -> QuerySet[Report]:
    qs = scope(actor, Report.objects.select_related("organization", "district"))
    if year:
        qs = qs.filter(year=year)
    if level:
        qs = qs.filter(level=level)
    return qs.order_by("-year", "district__code", "level", "kind", "organization__name", "pk")


def report_get(*, actor: Actor, pk: int) -> Report:
    return get_visible(actor, Report.objects.select_related("organization", "district"), pk=pk)


def district_report(*, actor: Actor, district_code: str, year: int) -> Report:
    """A district's table for ``year`` (the actor must be able to see it)."""
    return get_visible(
        actor,
        Report.objects.select_related("organization", "district"),
        district__code=district_code,
        year=year,
        level=ReportLevel.DISTRICT,
    )


def unit_reports(district_report: Report) -> QuerySet[Report]:
    return Report.objects.filter(
        district_id=district_report.district_id, year=district_report.year, level=ReportLevel.UNIT
    ).select_related("organization")


def status_counts(reports: QuerySet[Report]) -> dict[str, int]:
    counts = dict(reports.values_list("status").annotate(n=Count("pk")).order_by())
    return {s: counts.get(s, 0) for s in ReportStatus.values}


# --- The figures of a form ------------------------------------------------------------------------
def values_of(report: Report) -> dict[str, Decimal | None]:
    """code -> value of a form (a unit's as entered, a district's table as rolled up)."""
    if report.level == ReportLevel.DISTRICT:
        return rollup.table_of(unit_reports(report), report.year).values()
    return {
        code: v
        for code, v in Value.objects.filter(report=report).values_list("indicator__code", "value")
        if code is not None
    }


def values_by_report(reports) -> dict[int, dict[str, Decimal | None]]:
    """report id -> code -> value of many unit forms, in one query."""
    out: dict[int, dict] = {}
    for report_id, code, value in Value.objects.filter(report__in=reports).values_list(
        "report_id", "indicator__code", "value"
    ):
        out.setdefault(report_id, {})[code] = value
    return out


def last_year_values(report: Report) -> dict[str, Decimal | None]:
    """The same form's figures a year before (empty when it did not file)."""
    last = Report.objects.filter(organization_id=report.organization_id, year=report.year - 1, level=report.level)
    previous = last.first()
    return values_of(previous) if previous is not None else {}


@dataclass
class FormCheck:
    violations: list[validation.Violation] = field(default_factory=list)
    empty: list[Indicator] = field(default_factory=list)

    @property
    def errors(self) -> list[validation.Violation]:
        return [v for v in self.violations if v.is_error]

    @property
    def warnings(self) -> list[validation.Violation]:
        return [v for v in self.violations if not v.is_error]

    @property
    def unexplained(self) -> list[validation.Violation]:
        return [v for v in self.warnings if not v.note]

    @property
    def explained(self) -> list[validation.Violation]:
        return [v for v in self.warnings if v.note]

    @property
    def blocking(self) -> str | None:
        """Why the form cannot be submitted, in words, or None."""
        parts = []
        if self.empty:
            n = len(self.empty)
            parts.append(
                ngettext(
                    "%(n)s figure is not filled in (enter 0 where there is none)",
                    "%(n)s figures are not filled in (enter 0 where there are none)",
                    n,
                )
                % {"n": n}
            )
        if self.errors:
            n = len(self.errors)
            parts.append(ngettext("%(n)s error to correct", "%(n)s errors to correct", n) % {"n": n})
        if self.unexplained:
            n = len(self.unexplained)
            parts.append(ngettext("%(n)s warning to explain", "%(n)s warnings to explain", n) % {"n": n})
        return _("Not yet: %(what)s.") % {"what": "; ".join(parts)} if parts else None


def form_check(report: Report, values: dict | None = None) -> FormCheck:
    """Run the year's rules over the form (and list the figures still empty)."""
    values = values_of(report) if values is None else values
    notes = dict(RuleNote.objects.filter(report=report).values_list("rule_key", "text"))
    indicators = rollup.indicators_for(report.year, report.kind if report.level == ReportLevel.UNIT else None)
    labels = {i.code: i.label for i in indicators}
    violations = validation.run(
        validation.rules_for(report.year), values, last_year_values(report), notes=notes, labels=labels
    )
    empty = []
    if report.level == ReportLevel.UNIT:
        empty = [i for i in indicators if values.get(i.code) is None]
    return FormCheck(violations, empty)


@dataclass
class Row:
    indicator: Indicator
    value: Decimal | None
    platform: Decimal | None
    changed: bool
    has_records: bool
    level: int  # 0 a figure, 1 "of which", 2 "of which" of an "of which"
    #: What the input shows (the value, or what was typed when saving failed).
    input: str = ""


def form_sections(report: Report) -> list[dict]:
    """The form's tables, each with its rows in the national order."""
    values = {v.indicator_id: v for v in Value.objects.filter(report=report)}
    indicators = rollup.indicators_for(report.year, report.kind)
    parents = {i.code: i.parent_code for i in indicators}
    sections: dict[str, dict] = {}
    for ind in indicators:
        v = values.get(ind.pk)
        depth, parent = 0, ind.parent_code
        while parent and depth < 3:
            depth, parent = depth + 1, parents.get(parent, "")
        measure = get_measure(ind.source) if ind.source else None
        row = Row(
            indicator=ind,
            value=v.value if v else None,
            platform=v.platform if v else None,
            changed=bool(v and v.changed),
            has_records=bool(measure and measure.records and v is not None and v.platform is not None),
            level=depth,
            input=_plain(v.value if v else None),
        )
        sections.setdefault(ind.table.code, {"table": ind.table, "rows": []})["rows"].append(row)
    return list(sections.values())


def _plain(value) -> str:
    from kepu.statistics.templatetags.statistics_tags import plain

    return plain(value)


def history(report: Report) -> QuerySet[ValueChange]:
    return ValueChange.objects.filter(report=report).select_related("indicator", "by").order_by("-at", "-pk")


def figure_records(report: Report, indicator: Indicator):
    """The records the platform counted for one figure of a unit's form (a lazy list), or None."""
    from kepu.core.measures import measure_records

    if not indicator.source or report.level != ReportLevel.UNIT:
        return None
    filters = {**indicator.source_filters, "organizations": list(report.scope), "year": report.year}
    return measure_records(indicator.source, filters)


def indicator_of(report: Report, code: str) -> Indicator | None:
    return next((i for i in rollup.indicators_for(report.year) if i.code == code), None)


# --- Districts and the city ----------------------------------------------------------------------------------
def district_for(*, actor: Actor, code: str):
    """The district ``code`` if the actor may see its statistics (its district office, the city), else NotFound."""
    from kepu.core.errors import NotFound
    from kepu.core.permissions import can
    from kepu.places.selectors import children_of
    from kepu.statistics.permissions import ReportAction

    place = next((p for p in children_of(None) if p.code == code), None)
    if place is None:
        raise NotFound()
    if can(actor, ReportAction.VIEW_DISTRICT, Report(district_id=place.pk)):
        return place
    raise NotFound()


#: The states of a district's table in which the city sees it.
SHOWN_ABOVE = (ReportStatus.SUBMITTED, ReportStatus.ACCEPTED)


def city_tables(year: int, *, only: set[int] | None = None):
    """(districts, their tables by district id, rolled-up tables of the districts the city sees, the city's);
    ``only``: of these districts only (last year's figures of the districts that reported this year)."""
    from kepu.places.selectors import children_of

    districts = list(children_of(None))
    tables = {r.district_id: r for r in Report.objects.filter(year=year, level=ReportLevel.DISTRICT)}
    shown = [
        r.district_id for r in tables.values() if r.status in SHOWN_ABOVE and (only is None or r.district_id in only)
    ]
    units = Report.objects.filter(year=year, level=ReportLevel.UNIT, district_id__in=shown)
    per_district, overall = rollup.tables_by_district(units, year)
    return districts, tables, per_district, overall


def city_lines(per_district: dict, overall: rollup.Table) -> list[dict]:
    """Per indicator: the sum of the districts' totals, what was counted in two districts, the city's total."""
    out = []
    for code, line in overall.by_code.items():
        totals = [t.by_code[code].total for t in per_district.values() if t.by_code[code].total is not None]
        districts = sum(totals, Decimal(0)) if totals else None
        across = (districts - line.total) if districts is not None and line.total is not None else Decimal(0)
        out.append({"indicator": line.indicator, "districts": districts, "across": across, "total": line.total})
    return out
