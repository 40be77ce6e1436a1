"""The statistics under /api/v1/statistics/: the same selectors, services and workflow as the pages."""

from __future__ import annotations

from datetime import datetime

from django.core.paginator import Paginator
from ninja import Router, Schema

from kepu.core.api import actor_of
from kepu.core.errors import NotFound
from kepu.core.permissions import require
from kepu.statistics import rollup, selectors, services
from kepu.statistics.models import Report, ReportLevel
from kepu.statistics.permissions import ReportAction
from kepu.statistics.templatetags.statistics_tags import plain
from kepu.statistics.workflow import REPORT

router = Router(tags=["statistics"])


def _statistics_actor(request):
    actor = actor_of(request)
    require(actor, ReportAction.FILE, Report)
    return actor


class IndicatorOut(Schema):
    code: str
    table: str
    label: str
    label_en: str
    unit: str
    value_type: str
    aggregation: str
    parent_code: str
    applies_to: list[str]
    source: str
    valid_from: int
    valid_to: int | None

    @staticmethod
    def resolve_table(obj):
        return obj.table.code


class StatisticsReportOut(Schema):
    id: int
    year: int
    level: str
    organization_id: int
    organization_name: str
    kind: str
    district_code: str
    status: str
    return_reason: str
    submitted_at: datetime | None
    reviewed_at: datetime | None


def _report(report: Report) -> dict:
    return {
        "id": report.pk,
        "year": report.year,
        "level": report.level,
        "organization_id": report.organization_id,
        "organization_name": report.organization.name,
        "kind": report.kind,
        "district_code": report.district.code,
        "status": report.status,
        "return_reason": report.return_reason,
        "submitted_at": report.submitted_at,
        "reviewed_at": report.reviewed_at,
    }


class ValueOut(Schema):
    code: str
    value: str | None
    platform: str | None
    changed: bool
    records: bool


class ViolationOut(Schema):
    key: str
    code: str
    severity: str
    message: str
    left: str
    right: str
    indicator: str
    note: str


class CheckOut(Schema):
    blocking: str | None
    violations: list[ViolationOut]
    empty: list[str]


class ReportDetailOut(StatisticsReportOut):
    values: list[ValueOut]
    check: CheckOut
    actions: list[str]
    locked: bool


def _n(value) -> str | None:
    """A figure as a JSON string without trailing zeros ("1200", "85.6"), the same on every database."""
    return None if value is None else plain(value)


def _check(check) -> dict:
    return {
        "blocking": check.blocking,
        "violations": [
            {**v.__dict__, "left": _n(v.left), "right": _n(v.right), "last": _n(v.last), "this": _n(v.this)}
            for v in check.violations
        ],
        "empty": [i.code for i in check.empty],
    }


def _detail(actor, report: Report) -> dict:
    rows = [row for section in selectors.form_sections(report) for row in section["rows"]]
    return {
        **_report(report),
        "values": [
            {
                "code": r.indicator.code,
                "value": _n(r.value),
                "platform": _n(r.platform),
                "changed": r.changed,
                "records": r.has_records,
            }
            for r in rows
        ],
        "check": _check(selectors.form_check(report)),
        "actions": [t.name for t in REPORT.available(actor, report)],
        "locked": services.is_locked(report),
    }


@router.get("/indicators", response=list[IndicatorOut], summary="The indicator dictionary in force in a year")
def indicators(request, year: int):
    _statistics_actor(request)
    return rollup.indicators_for(year)


@router.get(
    "/reports", response=list[StatisticsReportOut], summary="The forms the caller may see (a unit's own; a district's)"
)
def report_list(request, year: int | None = None, level: str = ""):
    return [_report(r) for r in selectors.report_list(actor=_statistics_actor(request), year=year, level=level)[:500]]


@router.get("/reports/{report_id}", response=ReportDetailOut, summary="A form: its figures, checks and next steps")
def report_get(request, report_id: int):
    actor = _statistics_actor(request)
    return _detail(actor, selectors.report_get(actor=actor, pk=report_id))


class ValuesIn(Schema):
    values: dict[str, str | float | int | None]
    reason: str = ""


@router.put(
    "/reports/{report_id}/values",
    response=ReportDetailOut,
    summary="Set figures of a unit's form (a reason where a platform count or a given figure changes)",
)
def values_set(request, report_id: int, body: ValuesIn):
    actor = _statistics_actor(request)
    report = selectors.report_get(actor=actor, pk=report_id)
    services.values_set(actor=actor, report=report, values=body.values, reason=body.reason)
    return _detail(actor, selectors.report_get(actor=actor, pk=report_id))


class NoteIn(Schema):
    rule: str
    text: str


@router.post("/reports/{report_id}/notes", response=ReportDetailOut, summary="Explain a warning (empty text clears)")
def note_set(request, report_id: int, body: NoteIn):
    actor = _statistics_actor(request)
    report = selectors.report_get(actor=actor, pk=report_id)
    services.note_set(actor=actor, report=report, rule_key=body.rule, text=body.text)
    return _detail(actor, selectors.report_get(actor=actor, pk=report_id))


@router.post("/reports/{report_id}/refresh", response=ReportDetailOut, summary="Count the platform's figures again")
def refresh(request, report_id: int):
    actor = _statistics_actor(request)
    services.report_refresh(actor=actor, report=selectors.report_get(actor=actor, pk=report_id))
    return _detail(actor, selectors.report_get(actor=actor, pk=report_id))


class RecordOut(Schema):
    key: str
    label: str
    when: datetime | str | None
    who: str
    weight: str
    url: str
    note: str


class RecordPage(Schema):
    count: int
    items: list[RecordOut]
    page: int
    next_page: int | None


@router.get(
    "/reports/{report_id}/figures/{code}",
    response=RecordPage,
    summary="The platform's records behind one figure of a form, 50 a page",
)
def figure_records(request, report_id: int, code: str, page: int = 1):
    actor = _statistics_actor(request)
    report = selectors.report_get(actor=actor, pk=report_id)
    indicator = selectors.indicator_of(report, code)
    records = selectors.figure_records(report, indicator) if indicator else None
    if records is None:
        raise NotFound()
    window = Paginator(records, 50).get_page(page)
    return {
        "count": window.paginator.count,
        "items": [{**r.__dict__, "weight": _n(r.weight)} for r in window.object_list],
        "page": window.number,
        "next_page": window.next_page_number() if window.has_next() else None,
    }


class StatisticsActionIn(Schema):
    reason: str = ""


@router.post(
    "/reports/{report_id}/actions/{action}",
    response=ReportDetailOut,
    summary="Move a form: submit, recall, accept, send_back (a reason for recall and send_back)",
)
def act(request, report_id: int, action: str, body: StatisticsActionIn):
    actor = _statistics_actor(request)
    report = selectors.report_get(actor=actor, pk=report_id)
    services.report_transition(actor=actor, report=report, action=action, reason=body.reason)
    return _detail(actor, selectors.report_get(actor=actor, pk=report_id))


class LineOut(Schema):
    code: str
    units_sum: str | None
    removed: str
    records: int
    total: str | None


class DistrictOut(Schema):
    district_code: str
    year: int
    report: StatisticsReportOut | None
    forms: int
    removed_records: int
    counts: dict[str, int]
    check: CheckOut | None
    actions: list[str]
    lines: list[LineOut]


@router.get("/districts/{code}/{year}", response=DistrictOut, summary="A district's table: the units' forms rolled up")
def district(request, code: str, year: int):
    actor = _statistics_actor(request)
    place = selectors.district_for(actor=actor, code=code)
    report = Report.objects.filter(district=place, year=year, level=ReportLevel.DISTRICT).first()
    if report is None:
        return {"district_code": code, "year": year, "report": None, "forms": 0, "removed_records": 0,
                "counts": {}, "check": None, "actions": [], "lines": []}  # fmt: skip
    units = selectors.unit_reports(report)
    table = rollup.table_of(units, year)
    return {
        "district_code": code,
        "year": year,
        "report": _report(report),
        "forms": table.forms,
        "removed_records": table.removed_records,
        "counts": selectors.status_counts(units),
        "check": _check(selectors.form_check(report, table.values())),
        "actions": [t.name for t in REPORT.available(actor, report)],
        "lines": [
            {
                "code": line.indicator.code,
                "units_sum": _n(line.units_sum),
                "removed": _n(line.removed),
                "records": line.records,
                "total": _n(line.total),
            }
            for line in table.lines
        ],
    }


class OpenedOut(Schema):
    created: int


@router.post(
    "/districts/{code}/{year}/open",
    response=OpenedOut,
    summary="Open a year: a pre-filled form for every reporting unit of the district (again: add new units, recount)",
)
def district_open(request, code: str, year: int):
    actor = _statistics_actor(request)
    require(actor, ReportAction.RUN_DISTRICT, Report)
    place = selectors.district_for(actor=actor, code=code)
    return {"created": len(services.year_open(actor=actor, district=place, year=year))}


class CityDistrictOut(Schema):
    code: str
    name: str
    status: str | None
    forms: int | None


class CityLineOut(Schema):
    code: str
    districts: str | None
    across: str
    total: str | None


class CityOut(Schema):
    year: int
    districts: list[CityDistrictOut]
    lines: list[CityLineOut]


@router.get("/city/{year}", response=CityOut, summary="The city's table: the districts that reported, rolled up")
def city(request, year: int):
    actor = _statistics_actor(request)
    require(actor, ReportAction.VIEW_CITY, Report)
    districts, tables, per_district, overall = selectors.city_tables(year)
    return {
        "year": year,
        "districts": [
            {
                "code": d.code,
                "name": d.name,
                "status": tables[d.pk].status if d.pk in tables else None,
                "forms": per_district[d.pk].forms if d.pk in per_district else None,
            }
            for d in districts
        ],
        "lines": [
            {
                "code": x["indicator"].code,
                "districts": _n(x["districts"]),
                "across": _n(x["across"]),
                "total": _n(x["total"]),
            }
            for x in selectors.city_lines(per_district, overall)
        ],
    }
