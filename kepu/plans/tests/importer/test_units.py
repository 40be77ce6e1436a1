"""Splitting responsible units as written, and recognizing their three shapes."""

import pytest

from kepu.plans.importer import UnitSource, split_unit_names
from kepu.plans.importer.units import (
    looks_like_unit_name,
    parse_units_line,
    split_units_tail,
)


@pytest.mark.parametrize(
    ("written", "names"),
    [
        ("区科信局、区科协、各成员单位", ["区科信局", "区科协", "各成员单位"]),
        ("区科协及其他成员单位、各镇（街道）（地区）", ["区科协及其他成员单位", "各镇（街道）（地区）"]),
        ("新时代文明实践中心（所、站）、区科协", ["新时代文明实践中心（所、站）", "区科协"]),
        (
            "区科协、 区环保局， 区文旅局;区教委；团区委,区妇联",
            ["区科协", "区环保局", "区文旅局", "区教委", "团区委", "区妇联"],
        ),
        ("区科委 区教委　区科协", ["区科委", "区教委", "区科协"]),  # spaces only: spaces separate
        ("区科委/区科协。", ["区科委", "区科协"]),
        ("各镇(街道)、区科协", ["各镇(街道)", "区科协"]),
        ("区科委、\n区科协", ["区科委", "区科协"]),
        ("", []),
    ],
)
def test_split_keeps_bracketed_names_whole(written, names):
    assert split_unit_names(written) == names


def test_units_line():
    units = parse_units_line("责任单位：区委宣传部、区科委、各镇（街道）（地区）")
    assert units.names == ["区委宣传部", "区科委", "各镇（街道）（地区）"]
    assert units.source == UnitSource.LINE
    assert units.raw == "责任单位：区委宣传部、区科委、各镇（街道）（地区）"


def test_units_line_with_roles():
    units = parse_units_line("牵头单位：区科协；配合单位：区教委、区卫健委")
    assert units.names == ["区科协", "区教委", "区卫健委"]
    assert (units.lead, units.support) == (["区科协"], ["区教委", "区卫健委"])


def test_role_note_after_a_name():
    units = parse_units_line("责任单位：区科协（牵头）、区教委")
    assert units.names == ["区科协", "区教委"]
    assert units.lead == ["区科协"]


def test_bracketed_units_line():
    units = parse_units_line("（责任单位：区科协、区教委）")
    assert units.names == ["区科协", "区教委"]
    assert units.source == UnitSource.LINE


@pytest.mark.parametrize(
    "line", ["责任单位要落实好各项任务", "各责任单位：做好工作", "区科协负责", "（一）责任单位：区科协"]
)
def test_not_units_lines(line):
    assert parse_units_line(line) is None


@pytest.mark.parametrize(
    ("text", "body", "names", "source"),
    [
        ("做好工作。（责任单位：区科协、区教委）", "做好工作。", ["区科协", "区教委"], UnitSource.TAIL),
        ("做好工作。(责任单位：区科协）", "做好工作。", ["区科协"], UnitSource.TAIL),
        ("做好工作；  （责任单位：区科协）。", "做好工作；  ", ["区科协"], UnitSource.TAIL),
        (
            "做好工作。（区科信局、区科协、各街道）",
            "做好工作。",
            ["区科信局", "区科协", "各街道"],
            UnitSource.BARE_TAIL,
        ),
        ("做好工作。（各镇（街道）（地区））", "做好工作。", ["各镇（街道）（地区）"], UnitSource.BARE_TAIL),
        ("做好工作。责任单位：区科协", "做好工作。", ["区科协"], UnitSource.TAIL),
    ],
)
def test_tails(text, body, names, source):
    split = split_units_tail(text)
    assert split is not None
    assert split[0] == body
    assert split[1].names == names
    assert split[1].source == source


@pytest.mark.parametrize(
    "text",
    [
        "落实《管理办法（试行）》",
        "发挥新时代文明实践中心（所、站）",
        "开展活动。（2024年）",
        "做好工作。（详见附件）",
        "加强各镇（街道）",  # no sentence end before the bracket
        "做好工作。（区科协负责统筹）",
        "",
    ],
)
def test_not_tails(text):
    assert split_units_tail(text) is None


@pytest.mark.parametrize(
    "name",
    [
        "区科协",
        "区科信局",
        "各街道",
        "各镇（街道）（地区）",
        "鼓楼街道",
        "密云镇",
        "团区委",
        "区融媒体中心",
        "各成员单位",
    ],
)
def test_unit_names(name):
    assert looks_like_unit_name(name)


@pytest.mark.parametrize("name", ["试行", "所", "站", "街道", "2024年", "详见附件", "区科协负责统筹", "的单位"])
def test_not_unit_names(name):
    assert not looks_like_unit_name(name)
