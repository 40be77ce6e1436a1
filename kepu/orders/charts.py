"""Geometry for the server-drawn SVG charts of the three rates (templates only place the shapes)."""

from django.utils.translation import gettext_lazy as _

SERIES = (("response_rate", _("Response rate"), "#1d5fa8"),
          ("completion_rate", _("Completion rate"), "#1b7a3a"),
          ("satisfaction_rate", _("Satisfaction rate"), "#9a4a00"))
LABEL_W, BAR_H, GAP, CHART_W = 170, 12, 10, 360


def rate_bars(groups: list[dict]) -> dict:
    """A horizontal grouped bar chart: one group of three bars (0–100 %) per row."""
    rows, y = [], 30
    for g in groups:
        bars = []
        for i, (key, label, colour) in enumerate(SERIES):
            value = g.get(key)
            bars.append({"x": LABEL_W, "y": y + i * BAR_H, "w": round(CHART_W * (value or 0) / 100, 1),
                         "h": BAR_H - 2, "colour": colour, "value": value, "label": label,
                         "text_x": LABEL_W + round(CHART_W * (value or 0) / 100, 1) + 4, "text_y": y + i * BAR_H + 9})
        rows.append({"label": str(g.get("label") or "—")[:14], "y": y + BAR_H * 1.5 + 4, "bars": bars})
        y += BAR_H * 3 + GAP
    return {"rows": rows, "width": LABEL_W + CHART_W + 60, "height": y + 10,
            "legend": [{"label": label, "colour": colour, "x": LABEL_W + i * 120} for i, (_k, label, colour)
                       in enumerate(SERIES)],
            "grid": [{"x": LABEL_W + CHART_W * p / 100, "label": f"{p}%"} for p in (0, 50, 100)]}
