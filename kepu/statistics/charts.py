"""Geometry of the summary's server-drawn SVG charts (templates only place the shapes)."""

from __future__ import annotations

from decimal import Decimal

from kepu.statistics.templatetags.statistics_tags import figure_text

LABEL_W, BAR_H, GAP, CHART_W = 200, 14, 12, 320
THIS, LAST = "#0b4ea2", "#8a9bb5"


def _n(value) -> str:
    return f"{float(value):g}"


def _bar(x, y, value, scale, colour, title):
    w = round(CHART_W * float(value or 0) / scale, 1) if scale else 0
    return {
        "x": _n(x), "y": _n(y), "w": _n(w), "h": _n(BAR_H - 2), "colour": colour, "title": title,
        "value": figure_text(value), "text_x": _n(x + w + 4), "text_y": _n(y + BAR_H - 4),
    }  # fmt: skip


def year_against_year(rows: list[dict], this_label: str, last_label: str) -> dict:
    """One pair of bars (last year, this year) per headline figure, each pair on its own scale."""
    out, y = [], 34
    for r in rows:
        this, last = r["this"], r["last"]
        scale = max(float(this or 0), float(last or 0)) or 1
        out.append(
            {
                "label": r["label"][:16],
                "y": _n(y + BAR_H + 2),
                "bars": [
                    _bar(LABEL_W, y, last, scale, LAST, f"{r['label']} {last_label} {figure_text(last)}"),
                    _bar(LABEL_W, y + BAR_H, this, scale, THIS, f"{r['label']} {this_label} {figure_text(this)}"),
                ],
            }
        )
        y += BAR_H * 2 + GAP
    return {
        "rows": out,
        "width": _n(LABEL_W + CHART_W + 90),
        "height": _n(y + 6),
        "legend": [
            {"label": last_label, "colour": LAST, "x": _n(LABEL_W), "text_x": _n(LABEL_W + 16)},
            {"label": this_label, "colour": THIS, "x": _n(LABEL_W + 110), "text_x": _n(LABEL_W + 126)},
        ],
    }


def by_district(title: str, rows: list[tuple[str, Decimal | None]]) -> dict:
    """Horizontal bars of one figure, one per district, on one scale."""
    scale = max((float(v or 0) for _l, v in rows), default=0) or 1
    bars, y = [], 8
    for label, value in rows:
        bars.append(
            {
                "label": label[:10],
                "label_y": _n(y + BAR_H - 3),
                **_bar(LABEL_W / 2, y, value, scale, THIS, f"{label} {figure_text(value)}"),
            }
        )
        y += BAR_H + 4
    return {"title": title, "bars": bars, "width": _n(LABEL_W / 2 + CHART_W + 90), "height": _n(y + 4)}
