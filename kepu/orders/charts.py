"""Geometry for the server-drawn SVG charts of the three rates (templates only place the shapes)."""

from django.utils.translation import gettext_lazy as _

SERIES = (
    ("response_rate", _("Response rate"), "#1d5fa8"),
    ("completion_rate", _("Completion rate"), "#1b7a3a"),
    ("satisfaction_rate", _("Satisfaction rate"), "#9a4a00"),
)
LABEL_W, BAR_H, GAP, CHART_W = 170, 12, 10, 360


def _n(value) -> str:
    # SVG coordinates are written out here, unlocalized: a decimal comma would break the drawing,
    # and formatting hundreds of numbers per locale was most of the dashboard's rendering time.
    return f"{value:g}"


def rate_bars(groups: list[dict]) -> dict:
    """A horizontal grouped bar chart: one group of three bars (0–100 %) per row."""
    series = [(key, str(label), colour) for key, label, colour in SERIES]
    rows, y = [], 30
    for g in groups:
        bars = []
        for i, (key, label, colour) in enumerate(series):
            value = g.get(key)
            w = round(CHART_W * (value or 0) / 100, 1)
            shown = "—" if value is None else str(value)
            bars.append(
                {
                    "x": _n(LABEL_W),
                    "y": _n(y + i * BAR_H),
                    "w": _n(w),
                    "h": _n(BAR_H - 2),
                    "colour": colour,
                    "value": shown,
                    "title": f"{label} {shown}%",
                    "text_x": _n(LABEL_W + w + 4),
                    "text_y": _n(y + i * BAR_H + 9),
                }
            )
        rows.append({"label": str(g.get("label") or "—")[:14], "y": _n(y + BAR_H * 1.5 + 4), "bars": bars})
        y += BAR_H * 3 + GAP
    return {
        "rows": rows,
        "width": _n(LABEL_W + CHART_W + 60),
        "height": _n(y + 10),
        "legend": [
            {"label": label, "colour": colour, "x": _n(LABEL_W + i * 120), "text_x": _n(LABEL_W + i * 120 + 16)}
            for i, (_k, label, colour) in enumerate(series)
        ],
        "grid": [{"x": _n(LABEL_W + CHART_W * p / 100), "label": f"{p}%"} for p in (0, 50, 100)],
    }


def _cell(rate, part, whole) -> str:
    return f"{'—' if rate is None else f'{rate}%'} ({part}/{whole})"


def rate_table(groups: list[dict]) -> list[dict]:
    """The dashboard's table, each cell written out once here (a district has hundreds of communities,
    and a template node per number per row was most of the page's time)."""
    return [
        {
            "label": g.get("label") or "—",
            "total": str(g["total"]),
            "overdue": str(g["overdue"]),
            "response": _cell(g["response_rate"], g["on_time"], g["routed"]),
            "completion": _cell(g["completion_rate"], g["done"], g["claimed"]),
            "satisfaction": _cell(g["satisfaction_rate"], g["satisfied"], g["rated"]),
        }
        for g in groups
    ]
