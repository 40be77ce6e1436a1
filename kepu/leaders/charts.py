"""Geometry of the page's server-drawn SVG charts; the templates only place the shapes, and every chart has a
table beside it with the same numbers (and a text alternative naming them)."""

from __future__ import annotations

from decimal import Decimal

THIS, LAST = "#0b4ea2", "#7d8ca3"  # both 4.5:1 or more against white


def fmt(value) -> str:
    if value is None:
        return "—"
    value = Decimal(value)
    if value != value.to_integral_value():
        return f"{value:,.1f}"
    return f"{int(value):,}"


def text_room(texts, font_size: int) -> int:
    """Room to keep right of the longest bar for its number: digits and commas are about 0.6 em wide, so
    "98,756,682" at 12 px needs ~72 px; a fixed margin cut such numbers off at the chart's edge on a phone."""
    return max([56] + [round(len(t) * font_size * 0.62) + 8 for t in texts])


def pairs(rows: list[dict], *, this_label: str, last_label: str, width: int = 360) -> dict:
    """One pair of bars per figure (last year above this year), each pair on its own scale: the figures have
    different units, and a leader compares each with its own last year."""
    # Drawn at about the width of a phone, so that its words stay readable there without zooming.
    label_w, bar_h, gap = 112, 16, 14
    room = width - label_w - text_room([fmt(r[k]) for r in rows for k in ("this", "last")], 12)
    items, y = [], 30
    for r in rows:
        this, last = float(r["this"] or 0), float(r["last"] or 0)
        top = max(this, last) or 1.0
        items.append(
            {
                "label": str(r["label"])[:8],
                "label_y": y + bar_h + 4,
                "bars": [
                    {"y": y, "w": round(room * last / top, 1), "colour": LAST, "text": fmt(r["last"]),
                     "text_x": label_w + round(room * last / top, 1) + 4, "text_y": y + bar_h - 4},
                    {"y": y + bar_h, "w": round(room * this / top, 1), "colour": THIS, "text": fmt(r["this"]),
                     "text_x": label_w + round(room * this / top, 1) + 4, "text_y": y + 2 * bar_h - 4},
                ],
            }
        )  # fmt: skip
        y += 2 * bar_h + gap
    return {
        "items": items,
        "width": width,
        "height": y + 4,
        "x": label_w,
        "label_x": label_w - 6,
        "bar_h": bar_h - 2,
        "legend": [(last_label, LAST, label_w, label_w + 18), (this_label, THIS, label_w + 80, label_w + 98)],
    }


def bars(rows: list[tuple[str, Decimal | None, str]], *, width: int = 360) -> dict:
    """Horizontal bars of one figure for the places below, on one scale; each bar links to its place's page."""
    label_w, bar_h, gap = 112, 24, 8
    room = width - label_w - text_room([fmt(v) for _l, v, _u in rows], 13)
    top = max([float(v or 0) for _l, v, _u in rows] + [0.0]) or 1.0
    items = []
    for i, (label, value, url) in enumerate(rows):
        y = i * (bar_h + gap)
        w = round(room * float(value or 0) / top, 1)
        items.append(
            {"label": label, "url": url, "y": y, "w": w, "text": fmt(value), "text_x": label_w + w + 4,
             "text_y": y + bar_h * 0.7}
        )  # fmt: skip
    return {
        "items": items,
        "width": width,
        "height": max(len(rows) * (bar_h + gap), bar_h),
        "x": label_w,
        "label_x": label_w - 6,
        "bar_h": bar_h,
        "colour": THIS,
    }
