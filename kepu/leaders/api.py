"""The leaders' figures under /api/v1/leaders/: the same page, as data (for a district's own big screen, say),
through the same selectors and the same rule of who sees which place."""

from __future__ import annotations

from decimal import Decimal

from ninja import Query, Router, Schema

from kepu.core.api import actor_of
from kepu.leaders import selectors

router = Router(tags=["leaders"])


class FigureOut(Schema):
    key: str
    label: str
    unit: str
    value: Decimal | None
    last_year: Decimal | None
    records_url: str


class SectionOut(Schema):
    key: str
    label: str
    connected: bool
    figures: list[FigureOut]


class PlaceFiguresOut(Schema):
    code: str
    name: str
    level: str
    year: int
    sections: list[SectionOut]
    below: dict[str, Decimal | None]
    below_figure: str


class YearQuery(Schema):
    year: int | None = None
    figure: str = ""


@router.get(
    "/places/{code}",
    response=PlaceFiguresOut,
    summary="A place's figures this year and last (city, district or street)",
)
def place_figures(request, code: str, q: Query[YearQuery]):
    actor = actor_of(request)
    place = selectors.place_for(actor, code)
    current = selectors.this_year()
    year = q.year if q.year and 2000 <= q.year <= current else current
    board = selectors.board(actor=actor, place=place, year=year, figure=q.figure)
    return {
        "code": place.code,
        "name": place.name,
        "level": place.level,
        "year": year,
        "sections": [
            {
                "key": s.key,
                "label": str(s.label),
                "connected": s.connected,
                "figures": [
                    {
                        "key": r.key,
                        "label": str(r.label),
                        "unit": r.unit,
                        "value": r.value,
                        "last_year": r.last,
                        "records_url": r.url,
                    }
                    for r in s.rows
                ],  # fmt: skip
            }
            for s in board.sections
        ],
        "below": board.child_values,
        "below_figure": board.figure.key if board.figure else "",
    }
