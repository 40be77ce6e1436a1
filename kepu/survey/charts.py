"""Geometry of the server-drawn SVG charts; the templates only place what is computed here.

Charts are drawn on the server so that nothing is fetched at run time and the page works
without JavaScript. Each chart comes with a table alternative in the template.
"""

from __future__ import annotations

import math

ROW_H = 34
LABEL_W = 120
PLOT_W = 330
VALUE_W = 190
TOP = 28


def _axis_max(values: list[float]) -> float:
    top = max(values + [0.1])
    return min(1.0, math.ceil(top * 10 + 0.5) / 10)


def _ticks(axis_max: float) -> list[float]:
    step = 0.05 if axis_max <= 0.4 else 0.1
    n = int(round(axis_max / step))
    return [round(i * step, 4) for i in range(n + 1)]


def interval_chart(rows, *, target: float | None = None) -> dict:
    """Horizontal point-and-interval chart: one row per estimate (label, estimate, ci_low, ci_high)."""
    rows = list(rows)
    axis_max = _axis_max(
        [r.ci_high if r.ci_high is not None else r.estimate for r in rows] + ([target] if target else [])
    )

    def x(v: float) -> float:
        return round(LABEL_W + PLOT_W * max(0.0, min(v, axis_max)) / axis_max, 1)

    height = TOP + ROW_H * len(rows) + 24
    items = []
    for i, r in enumerate(rows):
        y = TOP + ROW_H * i + ROW_H / 2
        items.append(
            {
                "label": r.label,
                "y": round(y, 1),
                "text_y": round(y + 5, 1),
                "x": x(r.estimate),
                "x_low": x(r.ci_low) if r.ci_low is not None else None,
                "x_high": x(r.ci_high) if r.ci_high is not None else None,
                "value": r.estimate,
                "low": r.ci_low,
                "high": r.ci_high,
                "bar_y1": round(y - 7, 1),
                "bar_y2": round(y + 7, 1),
            }
        )
    ticks = [{"x": x(t), "label": f"{t:.0%}"} for t in _ticks(axis_max)]
    return {
        "width": LABEL_W + PLOT_W + VALUE_W,
        "height": height,
        "rows": items,
        "ticks": ticks,
        "plot_left": LABEL_W,
        "plot_right": LABEL_W + PLOT_W,
        "axis_y": height - 20,
        "value_x": LABEL_W + PLOT_W + 10,
        "target_x": x(target) if target else None,
        "target": target,
        "top": TOP - 8,
    }


def trend_chart(points: list[dict], *, target: float | None = None) -> dict:
    """Rate per year with intervals where estimated, and the target as a dashed line."""
    width, height, left, right, top, bottom = 600, 300, 56, 24, 24, 44
    if not points:
        return {"points": [], "width": width, "height": height}
    years = [p["year"] for p in points]
    y_min_year, y_max_year = min(years), max(years)
    span = max(1, y_max_year - y_min_year)
    values = [p["rate"] for p in points] + [p["high"] for p in points if p["high"]] + ([target] if target else [])
    vmax = _axis_max(values)
    vmin = max(0.0, math.floor((min(p["low"] or p["rate"] for p in points) - 0.05) * 20) / 20)
    if target:
        vmin = min(vmin, math.floor((target - 0.05) * 20) / 20)
    vmin = max(0.0, vmin)

    def px(year):
        share = (year - y_min_year) / span if y_max_year > y_min_year else 0.5
        return round(left + 20 + (width - left - right - 40) * share, 1)

    def py(v):
        return round(top + (height - top - bottom) * (1 - (v - vmin) / (vmax - vmin)), 1)

    out = []
    for p in points:
        out.append(
            {
                **p,
                "x": px(p["year"]),
                "y": py(p["rate"]),
                "y_low": py(p["low"]) if p["low"] else None,
                "y_high": py(p["high"]) if p["high"] else None,
                "label_y": py(p["rate"]) - 12,
            }
        )
    line = " ".join(f"{p['x']},{p['y']}" for p in out)
    step = 0.05
    ticks, v = [], vmin
    while v <= vmax + 1e-9:
        ticks.append({"y": py(v), "label": f"{v:.0%}", "text_y": py(v) + 4})
        v = round(v + step, 4)
    return {
        "width": width,
        "height": height,
        "points": out,
        "line": line,
        "ticks": ticks,
        "left": left,
        "right": width - right,
        "bottom": height - bottom,
        "year_y": height - bottom + 20,
        "target": target,
        "target_y": py(target) if target else None,
        "target_label_y": (py(target) - 6) if target else None,
    }
