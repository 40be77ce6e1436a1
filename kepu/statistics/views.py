"""The statistics' pages (thin: look up through the selectors, change through the services, render)."""

from __future__ import annotations

from decimal import Decimal

from django.contrib import messages
from django.core.exceptions import PermissionDenied
from django.core.paginator import Paginator
from django.http import Http404, HttpResponse
from django.shortcuts import redirect
from django.template.response import TemplateResponse
from django.urls import reverse
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from kepu.core import clock
from kepu.core.errors import DomainError, NotFound
from kepu.core.http import role_required
from kepu.core.permissions import can
from kepu.core.roles import Role
from kepu.statistics import charts, export, rollup, selectors, services
from kepu.statistics.models import FilerKind, Report, ReportLevel, ReportStatus
from kepu.statistics.permissions import STATISTICS_ROLES, ReportAction
from kepu.statistics.workflow import REPORT

ROLES = tuple(STATISTICS_ROLES)


def _year(value) -> int:
    this = clock.now().year
    try:
        year = int(value)
    except (TypeError, ValueError):
        return this
    return year if 2000 <= year <= this else this


def _get(request, pk) -> Report:
    try:
        return selectors.report_get(actor=request.actor, pk=pk)
    except NotFound:
        raise Http404 from None


def _xlsx(body: bytes, name: str) -> HttpResponse:
    response = HttpResponse(body, content_type="application/vnd.openxmlformats-officedocument.spreadsheetml.sheet")
    response["Content-Disposition"] = f'attachment; filename="{name}"'
    return response


@role_required(*ROLES)
def home(request):
    actor = request.actor
    year = _year(request.GET.get("year"))
    if can(actor, ReportAction.VIEW_CITY, Report):
        return redirect("statistics:city", year=year)
    if can(actor, ReportAction.RUN_DISTRICT, Report) and actor.place is not None:
        return redirect("statistics:district", code=actor.place.code, year=year)
    reports = selectors.report_list(actor=actor, level=ReportLevel.UNIT)
    return TemplateResponse(request, "statistics/home.html", {"reports": reports, "year": year})


# --- A unit's form ----------------------------------------------------------------------------------
def _report_context(request, report: Report, *, failed: str = "", section_error: dict | None = None) -> dict:
    actor = request.actor
    check = selectors.form_check(report)
    locked = services.is_locked(report)
    return {
        "report": report,
        "sections": selectors.form_sections(report),
        "check": check,
        "editable": can(actor, ReportAction.EDIT, report) and not locked,
        "explainable": can(actor, ReportAction.EXPLAIN, report) and not locked,
        "locked": locked,
        "actions": REPORT.actions(
            actor, report, failed=failed, url=lambda name: reverse("statistics:act", args=[report.pk, name])
        ),
        "waiting": REPORT.waiting(actor, report),
        "section_error": section_error or {},
        "last_year": report.year - 1,
    }


@role_required(*ROLES)
def report_detail(request, pk):
    report = _get(request, pk)
    if report.level == ReportLevel.DISTRICT:
        return redirect("statistics:district", code=report.district.code, year=report.year)
    return TemplateResponse(request, "statistics/report.html", _report_context(request, report))


@require_POST
@role_required(*ROLES)
def report_values(request, pk, table):
    """Save the figures of one table of the form (with one reason for the changes that need one)."""
    report = _get(request, pk)
    codes = [i.code for i in rollup.indicators_for(report.year, report.kind) if i.table.code == table]
    values = {code: request.POST.get(f"v-{code}", "") for code in codes if f"v-{code}" in request.POST}
    try:
        changed = services.values_set(
            actor=request.actor, report=report, values=values, reason=request.POST.get("reason", "")
        )
    except DomainError as exc:  # kept: the error shows in the table's own section, with every figure typed kept
        if exc.status in (403, 404):
            raise
        ctx = _report_context(
            request,
            _get(request, pk),
            section_error={"table": table, "message": exc.message, "field": exc.data.get("field", ""),
                           "posted": values, "reason": request.POST.get("reason", "")},
        )  # fmt: skip
        for section in ctx["sections"]:
            if section["table"].code == table:
                for row in section["rows"]:
                    row.input = values.get(row.indicator.code, row.input)
        return TemplateResponse(request, "statistics/report.html", ctx, status=exc.status if exc.status < 500 else 400)
    if changed:
        messages.success(request, _("Saved: %(n)s figures changed.") % {"n": len(changed)})
    else:
        messages.info(request, _("Nothing changed."))
    return redirect(reverse("statistics:report", args=[report.pk]) + f"#table-{table}")


@require_POST
@role_required(*ROLES)
def report_note(request, pk):
    report = _get(request, pk)
    services.note_set(
        actor=request.actor, report=report, rule_key=request.POST.get("rule", ""), text=request.POST.get("text", "")
    )
    messages.success(request, _("The explanation was saved."))
    return redirect(_page_of(report) + "#checks")


@require_POST
@role_required(*ROLES)
def report_refresh(request, pk):
    report = _get(request, pk)
    moved = services.report_refresh(actor=request.actor, report=report)
    messages.success(request, _("Counted again on the platform: %(n)s figures moved.") % {"n": moved})
    return redirect("statistics:report", pk=report.pk)


def _page_of(report: Report) -> str:
    if report.level == ReportLevel.DISTRICT:
        return reverse("statistics:district", args=[report.district.code, report.year])
    return reverse("statistics:report", args=[report.pk])


@require_POST
@role_required(*ROLES)
def report_act(request, pk, action):
    """One step of the approval workflow, posted by that step's form."""
    report = _get(request, pk)
    if action not in REPORT:
        raise Http404
    report = services.report_transition(
        actor=request.actor, report=report, action=action, reason=request.POST.get(f"{action}-reason", "")
    )
    messages.success(request, _("Done: %(action)s.") % {"action": REPORT[action].label})
    if action in ("accept", "send_back") and report.level == ReportLevel.UNIT:
        # The reviewer goes back to the district's list of forms, to the next one.
        return redirect("statistics:district", code=report.district.code, year=report.year)
    return redirect(_page_of(report))


@role_required(*ROLES)
def figure_records(request, pk, code):
    """The records the platform counted for one figure of a form."""
    report = _get(request, pk)
    indicator = selectors.indicator_of(report, code)
    records = selectors.figure_records(report, indicator) if indicator else None
    if records is None:
        raise Http404
    page = Paginator(records, 50).get_page(request.GET.get("page"))
    total = sum((r.weight for r in page.object_list), Decimal(0))
    value = report.values.filter(indicator=indicator).first()
    context = {"report": report, "indicator": indicator, "page": page, "page_total": total, "value": value}
    return TemplateResponse(request, "statistics/figure_records.html", context)


@role_required(*ROLES)
def report_history(request, pk):
    report = _get(request, pk)
    page = Paginator(selectors.history(report), 50).get_page(request.GET.get("page"))
    return TemplateResponse(request, "statistics/history.html", {"report": report, "page": page})


@role_required(*ROLES)
def report_xlsx(request, pk):
    report = _get(request, pk)
    if report.level == ReportLevel.DISTRICT:
        return redirect("statistics:district_xlsx", code=report.district.code, year=report.year)
    values = selectors.values_of(report)
    tables = _tables(report.year, report.kind)
    body = export.workbook(
        f"{report.organization.name} {report.year}",
        tables,
        [{"cells": _unit_cells(report), "values": values}],
        [],
    )
    return _xlsx(body, f"kepu-statistics-{report.year}-{report.organization_id}.xlsx")


def _unit_cells(report: Report) -> list:
    return [report.organization.name, FilerKind(report.kind).label, report.place_path.strip("/").split("/")[-1]]


def _tables(year: int, kind: str | None = None) -> list[dict]:
    tables: dict[str, dict] = {}
    for ind in rollup.indicators_for(year, kind):
        t = ind.table
        tables.setdefault(t.code, {"code": t.code, "name": t.name, "sheet": t.sheet, "indicators": []})
        tables[t.code]["indicators"].append(ind)
    return list(tables.values())


def _sections(table: rollup.Table) -> list[dict]:
    out: dict[str, dict] = {}
    for line in table.lines:
        t = line.indicator.table
        out.setdefault(t.code, {"table": t, "lines": []})["lines"].append(line)
    return list(out.values())


# --- A district's table -------------------------------------------------------------------------------
def _district_place(request, code):
    try:
        return selectors.district_for(actor=request.actor, code=code)
    except NotFound:
        raise Http404 from None


def _district_data(request, code, year):
    place = _district_place(request, code)
    table_report = Report.objects.filter(district=place, year=year, level=ReportLevel.DISTRICT).first()
    if table_report is not None:
        table_report = selectors.district_report(actor=request.actor, district_code=code, year=year)
    return place, table_report


@role_required(Role.DISTRICT_ADMIN, Role.CITY_ADMIN)
def district(request, code, year):
    place, table_report = _district_data(request, code, year)
    context = {
        "place": place,
        "year": year,
        "table_report": table_report,
        "years": _years(lambda y: reverse("statistics:district", args=[code, y])),
        "may_city": can(request.actor, ReportAction.VIEW_CITY, Report),
    }
    if table_report is None:
        probe = Report(district=place, level=ReportLevel.DISTRICT, year=year, place_path=place.path)
        context["may_open"] = can(request.actor, ReportAction.OPEN_YEAR, probe)
        return TemplateResponse(request, "statistics/district.html", context)
    units = selectors.unit_reports(table_report).order_by("kind", "place_path", "organization__name")
    table = rollup.table_of(units, year)
    check = selectors.form_check(table_report, table.values())
    locked = services.is_locked(table_report)
    context.update(
        units=units,
        counts=[(label, selectors.status_counts(units)[value]) for value, label in ReportStatus.choices],
        table=table,
        sections=_sections(table),
        check=check,
        locked=locked,
        explainable=can(request.actor, ReportAction.EXPLAIN, table_report) and not locked,
        may_open=can(request.actor, ReportAction.OPEN_YEAR, table_report) and not locked,
        actions=REPORT.actions(
            request.actor, table_report, url=lambda name: reverse("statistics:act", args=[table_report.pk, name])
        ),
        waiting=REPORT.waiting(request.actor, table_report),
    )
    return TemplateResponse(request, "statistics/district.html", context)


def _years(url) -> list[dict]:
    """The last five years, each with the page's address for it (``url(year)``)."""
    this = clock.now().year
    return [{"year": y, "url": url(y)} for y in range(this, this - 5, -1)]


@require_POST
@role_required(Role.DISTRICT_ADMIN)
def district_open(request, code, year):
    place = _district_place(request, code)
    created = services.year_open(actor=request.actor, district=place, year=year)
    messages.success(
        request,
        _("The year is open: %(n)s new forms, every open form counted again on the platform.") % {"n": len(created)},
    )
    return redirect("statistics:district", code=code, year=year)


@role_required(Role.DISTRICT_ADMIN, Role.CITY_ADMIN)
def district_xlsx(request, code, year):
    place, table_report = _district_data(request, code, year)
    if table_report is None:
        raise Http404
    units = selectors.unit_reports(table_report).order_by("kind", "place_path", "organization__name")
    table = rollup.table_of(units, year)
    values = selectors.values_by_report(units)
    rows = [{"cells": _unit_cells(r), "values": values.get(r.pk, {})} for r in units]
    body = export.workbook(f"{place.name} {year}", _tables(year), rows, _foot(table, place.name))
    return _xlsx(body, f"kepu-statistics-{year}-{place.code}.xlsx")


def _foot(table: rollup.Table, name: str) -> list[dict]:
    return [
        {"cells": [_("Sum of the forms"), "", ""], "values": {c: line.units_sum for c, line in table.by_code.items()}},
        {"cells": [_("Less: counted twice"), "", ""], "values": {c: line.removed for c, line in table.by_code.items()}},
        {"cells": [_("Total: %(name)s") % {"name": name}, "", ""], "values": table.values()},
    ]


# --- The city -------------------------------------------------------------------------------------------
def _city_sections(lines: list[dict]) -> list[dict]:
    out: dict[str, dict] = {}
    for line in lines:
        t = line["indicator"].table
        out.setdefault(t.code, {"table": t, "lines": []})["lines"].append(line)
    return list(out.values())


@role_required(Role.CITY_ADMIN)
def city(request, year):
    districts, tables, per_district, overall = selectors.city_tables(year)
    rows = []
    for d in districts:
        report = tables.get(d.pk)
        shown = report is not None and report.status in (ReportStatus.SUBMITTED, ReportStatus.ACCEPTED)
        rows.append({"place": d, "report": report, "table": per_district.get(d.pk) if shown else None})
    district_sum = sum((t.removed_records for t in per_district.values()), 0)
    context = {
        "year": year,
        "years": _years(lambda y: reverse("statistics:city", args=[y])),
        "rows": rows,
        "overall": overall,
        "sections": _city_sections(selectors.city_lines(per_district, overall)),
        "reported": sum(1 for r in rows if r["table"] is not None),
        "across": overall.removed_records - district_sum,
    }
    return TemplateResponse(request, "statistics/city.html", context)


@role_required(Role.CITY_ADMIN)
def city_xlsx(request, year):
    districts, tables, per_district, overall = selectors.city_tables(year)
    rows = [
        {"cells": [d.name, _("District"), d.code], "values": per_district[d.pk].values()}
        for d in districts
        if d.pk in per_district
    ]
    lines = selectors.city_lines(per_district, overall)
    foot = [
        {"cells": [_("Sum of the districts"), "", ""], "values": {x["indicator"].code: x["districts"] for x in lines}},
        {"cells": [_("Less: counted in two districts"), "", ""],
         "values": {x["indicator"].code: x["across"] for x in lines}},
        {"cells": [_("Total: %(name)s") % {"name": _("the city")}, "", ""], "values": overall.values()},
    ]  # fmt: skip
    body = export.workbook(f"{year}", _tables(year), rows, foot)
    return _xlsx(body, f"kepu-statistics-{year}-city.xlsx")


# --- The printable summary ------------------------------------------------------------------------------
def _headline(table: rollup.Table, last: rollup.Table | None) -> list[dict]:
    out = []
    for line in table.lines:
        if not line.indicator.headline:
            continue
        before = last.by_code.get(line.indicator.code).total if last and line.indicator.code in last.by_code else None
        change = None
        if before and line.total is not None:
            change = ((line.total - before) / before * 100).quantize(Decimal("0.1"))
        out.append({"indicator": line.indicator, "label": line.indicator.label, "this": line.total,
                    "last": before, "change": change})  # fmt: skip
    return out


@role_required(Role.DISTRICT_ADMIN, Role.CITY_ADMIN)
def district_summary(request, code, year):
    place, table_report = _district_data(request, code, year)
    if table_report is None:
        raise Http404
    table = rollup.table_of(selectors.unit_reports(table_report), year)
    last_report = Report.objects.filter(district=place, year=year - 1, level=ReportLevel.DISTRICT).first()
    last = rollup.table_of(selectors.unit_reports(last_report), year - 1) if last_report else None
    rows = _headline(table, last)
    context = {
        "title": place.name,
        "year": year,
        "status": table_report.get_status_display(),
        "rows": rows,
        "chart": charts.year_against_year(rows, str(year), str(year - 1)),
        "table": table,
        "districts": [],
        "back": reverse("statistics:district", args=[code, year]),
    }
    return TemplateResponse(request, "statistics/summary.html", context)


@role_required(Role.CITY_ADMIN)
def city_summary(request, year):
    districts, tables, per_district, overall = selectors.city_tables(year)
    # Against last year's figures of the same districts: a year half reported is not a year halved.
    _d, _t, _p, last = selectors.city_tables(year - 1, only=set(per_district))
    rows = _headline(overall, last if last.forms else None)
    names = {d.pk: d.name for d in districts}
    by_district = [
        charts.by_district(
            r["label"], [(names[pk], t.by_code[r["indicator"].code].total) for pk, t in per_district.items()]
        )
        for r in rows
    ]
    context = {
        "title": _("The city"),
        "year": year,
        "status": _("%(n)s of %(total)s districts reported; last year's figures are of the same districts")
        % {"n": len(per_district), "total": len(districts)},
        "rows": rows,
        "chart": charts.year_against_year(rows, str(year), str(year - 1)),
        "table": overall,
        "districts": by_district,
        "back": reverse("statistics:city", args=[year]),
    }
    return TemplateResponse(request, "statistics/summary.html", context)


# --- The dictionary ---------------------------------------------------------------------------------------
def _dictionary_url(year: int) -> str:
    return reverse("statistics:dictionary") + f"?year={year}"


@role_required(*ROLES)
def dictionary(request):
    from kepu.statistics.models import Edition
    from kepu.statistics.validation import rules_for

    year = _year(request.GET.get("year"))
    if request.method == "POST":
        if not can(request.actor, ReportAction.LOAD_EDITION, Report):
            raise PermissionDenied
        upload = request.FILES.get("file")
        try:
            if upload is None or upload.size > 1_000_000:
                raise services.EditionInvalid(_("Choose an edition file (TOML, at most 1 MB)."))
            edition = services.edition_load(actor=request.actor, content=upload.read(), source=upload.name)
        except DomainError as exc:  # kept: an edition's problems are listed one by one, not as a single message
            problems = exc.data.get("problems") or [exc.message]
            return TemplateResponse(
                request,
                "statistics/dictionary.html",
                {"year": year, "years": _years(_dictionary_url), "sections": _tables(year), "rules": rules_for(year),
                 "editions": Edition.objects.all()[:10], "problems": problems},
                status=400,
            )  # fmt: skip
        messages.success(request, _("Loaded: %(name)s.") % {"name": edition.name})
        return redirect(reverse("statistics:dictionary") + f"?year={year}")
    context = {
        "year": year,
        "years": _years(_dictionary_url),
        "sections": _tables(year),
        "rules": rules_for(year),
        "editions": Edition.objects.all()[:10],
        "may_load": can(request.actor, ReportAction.LOAD_EDITION, Report),
    }
    return TemplateResponse(request, "statistics/dictionary.html", context)
