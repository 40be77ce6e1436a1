"""iCalendar feeds of the public calendar (one per filter), QR codes of tickets, and bar-chart geometry."""

from __future__ import annotations

import io
from datetime import timedelta

import segno
from django.utils import timezone
from icalendar import Calendar, Event, vText

from kepu.activities.models import Session

FEED_LIMIT = 1000


def calendar_feed(activities, *, base_url: str, name: str) -> bytes:
    """One VEVENT per session of each activity (a series shows as its sessions), UIDs stable across fetches."""
    cal = Calendar()
    cal.add("prodid", "-//kepu//activities//ZH")
    cal.add("version", "2.0")
    cal.add("calscale", "GREGORIAN")
    cal.add("x-wr-calname", name)
    cal.add("x-wr-timezone", "Asia/Shanghai")
    by_id = {a.pk: a for a in activities}
    sessions = Session.objects.filter(activity_id__in=list(by_id), is_cancelled=False).order_by("starts_at")[
        :FEED_LIMIT
    ]
    stamp = timezone.now()
    for s in sessions:
        a = by_id[s.activity_id]
        ev = Event()
        ev.add("uid", f"kepu-session-{s.pk}@kepu")
        ev.add("dtstamp", stamp)
        ev.add("dtstart", s.starts_at)
        ev.add("dtend", s.ends_at if s.ends_at > s.starts_at else s.starts_at + timedelta(hours=1))
        ev.add("summary", a.title)
        ev.add("description", a.summary or "")
        location = a.address or (a.venue.name if a.venue_id else "") or a.online_url
        if location:
            ev.add("location", vText(location))
        ev.add("url", f"{base_url}/activities/{a.pk}/")
        categories = [a.get_kind_display()] + ([a.theme.name] if a.theme_id else [])
        ev.add("categories", [str(c) for c in categories])
        cal.add_component(ev)
    return cal.to_ical()


def qr_svg(payload: str, *, scale: int = 6, title: str = "") -> str:
    """An inline SVG of the ticket's QR code (no image files, drawn on the server)."""
    qr = segno.make(payload, error="m")
    return qr.svg_inline(
        scale=scale, border=2, dark="#000", light="#fff", title=title or None, svgclass="qr", omitsize=True
    )


def qr_png(payload: str, *, scale: int = 8) -> bytes:
    out = io.BytesIO()
    segno.make(payload, error="m").save(out, kind="png", scale=scale, border=4)
    return out.getvalue()


def bars(
    rows: list[tuple[str, int]], *, width: int = 560, bar_height: int = 30, gap: int = 12, label_width: int = 190
) -> dict:
    """Geometry of a horizontal bar chart; the template only draws it."""
    top = max([v for _k, v in rows] + [1])
    room = width - label_width - 60
    items = []
    for i, (label, value) in enumerate(rows):
        y = i * (bar_height + gap)
        items.append(
            {
                "label": label,
                "value": value,
                "y": y,
                "text_y": y + bar_height * 0.7,
                "w": max(round(room * value / top), 1 if value else 0),
                "x": label_width,
                "value_x": label_width + max(round(room * value / top), 0) + 6,
            }
        )
    return {
        "items": items,
        "width": width,
        "height": max(len(rows) * (bar_height + gap), bar_height),
        "bar_height": bar_height,
        "label_x": label_width - 8,
    }


def columns(rows: list[tuple[str, int]], *, width: int = 560, height: int = 240) -> dict:
    """Geometry of a column chart (sessions per month)."""
    top = max([v for _k, v in rows] + [1])
    n = max(len(rows), 1)
    slot = width / n
    plot = height - 56
    items = []
    for i, (label, value) in enumerate(rows):
        h = round(plot * value / top)
        items.append(
            {
                "label": label,
                "value": value,
                "x": round(i * slot + slot * 0.15),
                "w": round(slot * 0.7),
                "y": 26 + plot - h,
                "h": h,
                "cx": round(i * slot + slot / 2),
                "value_y": 26 + plot - h - 4,
            }
        )
    return {"items": items, "width": width, "height": height, "base_y": 26 + plot, "label_y": height - 4}
