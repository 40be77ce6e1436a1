"""The leaders' pages: one page per place (city, district, street), its map or bars of the places below, and the
monthly reports to download. Thin: the figures come from ``selectors.board``."""

from __future__ import annotations

from django.http import HttpResponse
from django.shortcuts import redirect
from django.template.response import TemplateResponse

from kepu.core.http import role_required
from kepu.leaders import charts, selectors
from kepu.leaders.permissions import VIEWER_ROLES
from kepu.places.maps import district_map


@role_required(*VIEWER_ROLES)
def home(request):
    place = selectors.home_place(request.actor)
    return redirect("leaders:place", code=place.code)


def _year(request) -> int:
    current = selectors.this_year()
    try:
        year = int(request.GET.get("year") or current)
    except ValueError:
        return current
    return year if 2000 <= year <= current else current


@role_required(*VIEWER_ROLES)
def place_page(request, code: str):
    place = selectors.place_for(request.actor, code)
    year = _year(request)
    board = selectors.board(actor=request.actor, place=place, year=year, figure=request.GET.get("figure", ""))
    figure_key = board.figure.key if board.figure else ""

    def link(child_code: str) -> str:
        return selectors.page_url(child_code, figure=figure_key, year=year if year != selectors.this_year() else "")

    below = [{"place": c, "value": board.child_values.get(c.code), "url": link(c.code)} for c in board.children]
    the_map = None
    if board.figure and place.level == "city":
        the_map = district_map(
            {c.code: v for c, v in ((r["place"], r["value"]) for r in below) if v is not None},
            title=str(board.figure.label),
            unit=board.figure.unit,
            url=link,
        )
    street_bars = None
    if board.figure and place.level == "district":
        street_bars = charts.bars([(r["place"].name, r["value"], r["url"]) for r in below])
    counted = [
        {"label": r.label, "this": r.value, "last": r.last}
        for s in board.sections
        for r in s.rows
        # Counts a leader compares with last year; the plans' task counts and nothing-at-all are left out.
        if not r.rate and r.value is not None and s.key != "plans" and (r.value or r.last)
    ]
    context = {
        "board": board,
        "place": place,
        "year": year,
        "years": list(range(selectors.this_year(), selectors.this_year() - 5, -1)),
        "below": below,
        "map": the_map,
        "street_bars": street_bars,
        "pairs": charts.pairs(counted, this_label=str(year), last_label=str(year - 1)),
        "counted": counted,
        "reports": selectors.reports_for(actor=request.actor, place=place),
        "cache_minutes": max(selectors.cache_seconds() // 60, 1),
    }
    return TemplateResponse(request, "leaders/place.html", context)


@role_required(*VIEWER_ROLES)
def report_file(request, pk: int, kind: str):
    report = selectors.report_get(actor=request.actor, pk=pk)
    name = f"kepu-{report.place.code}-{report.month:%Y-%m}"
    if kind == "pdf":
        response = HttpResponse(bytes(report.pdf), content_type="application/pdf")
        response["Content-Disposition"] = f'attachment; filename="{name}.pdf"'
    else:
        response = HttpResponse(
            bytes(report.docx),
            content_type="application/vnd.openxmlformats-officedocument.wordprocessingml.document",
        )
        response["Content-Disposition"] = f'attachment; filename="{name}.docx"'
    response["X-Content-Type-Options"] = "nosniff"
    response["Cache-Control"] = "private, no-store"
    return response
