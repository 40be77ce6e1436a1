"""The emergency section of the leaders' page (``kepu.core.figures``): events by warning level, and people reached.

An event counts in a year when it was declared (in force or closed since; a warning received and dismissed, or
not declared yet, warned nobody) and starts in that year. It counts at a place when one of its affected places
lies within the place, or covers it (a district-wide rainstorm warning is an event of each of its streets), once
however many of its places do. People reached are the messages the fan-out sent to affected places within the
place (each resident is told once per event): a district-wide warning's reach counts at the district, not split
among its streets. Events are few (hundreds a year, a few affected places each): one query for every place asked.
"""

from __future__ import annotations

from datetime import datetime, time
from decimal import Decimal
from urllib.parse import urlencode

from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from kepu.core.figures import FigureDef, FigureProvider, register_provider
from kepu.emergency.models import EventPlace, EventStatus, Level

LEVEL_KEYS = {
    Level.RED: "emergency.red",
    Level.ORANGE: "emergency.orange",
    Level.YELLOW: "emergency.yellow",
    Level.BLUE: "emergency.blue",
}


def _affected(year: int):
    tz = timezone.get_current_timezone()
    first = datetime.combine(datetime(year, 1, 1).date(), time.min, tzinfo=tz)
    end = datetime.combine(datetime(year + 1, 1, 1).date(), time.min, tzinfo=tz)
    return EventPlace.objects.filter(
        event__status__in=(EventStatus.DECLARED, EventStatus.CLOSED),
        event__starts_at__gte=first,
        event__starts_at__lt=end,
    ).values_list("event_id", "event__level", "place_path", "sent")


def values(places, year: int) -> dict[str, dict]:
    rows = list(_affected(year))
    out = {}
    for p in places:
        levels: dict[int, str] = {}
        reached = 0
        for event_id, level, path, sent in rows:
            if path.startswith(p.path):
                levels[event_id] = level
                reached += sent
            elif p.path.startswith(path):
                levels[event_id] = level
        figures = {key: Decimal(0) for key in LEVEL_KEYS.values()}
        for level in levels.values():
            figures[LEVEL_KEYS[Level(level)]] += 1
        out[p.code] = {"emergency.events": Decimal(len(levels)), **figures, "emergency.reached": Decimal(reached)}
    return out


def records_url(key: str, place, year: int) -> str:
    return reverse("emergency:past") + "?" + urlencode({"year": year})


def register() -> None:
    register_provider(
        FigureProvider(
            section="emergency",
            label=_("Emergency science communication"),
            order=60,
            figures=(
                FigureDef("emergency.events", _("Emergency events declared"), "起"),
                FigureDef("emergency.red", _("Red warnings"), "起"),
                FigureDef("emergency.orange", _("Orange warnings"), "起"),
                FigureDef("emergency.yellow", _("Yellow warnings"), "起"),
                FigureDef("emergency.blue", _("Blue warnings"), "起"),
                FigureDef("emergency.reached", _("People reached by warnings"), "人"),
            ),
            values=values,
            records_url=records_url,
        )
    )
