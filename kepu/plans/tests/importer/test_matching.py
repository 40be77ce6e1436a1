"""Matching units as written to organizations: exact, short, alias, normalized, built-in, groups."""

from dataclasses import dataclass

import pytest

from kepu.plans.importer import Organization, match_units
from kepu.plans.importer.aliases import canonical_name
from kepu.plans.importer.matching import MatchMethod, MatchStatus, group_token

# A Miyun-like district, named the way kepu's seed data names organizations.
ORGS = [
    Organization(1, "北京市密云区科学技术和信息化局", "区科信局", ("区科委", "区科学技术委员会"), "member_unit"),
    Organization(2, "密云区科学技术协会", "区科协", ("区科普工作联席会议办公室",), "district_office"),
    Organization(3, "中共北京市密云区委员会宣传部", "区委宣传部", (), "member_unit"),
    Organization(4, "共青团北京市密云区委员会", "团区委", (), "member_unit"),
    Organization(5, "北京市密云区卫生健康委员会", "区卫健委", (), "member_unit"),
    Organization(6, "北京市密云区文化和旅游局", "区文旅局", (), "member_unit"),
    Organization(7, "鼓楼街道办事处", "鼓楼街道", (), "street_office"),
    Organization(8, "密云镇人民政府", "密云镇", (), "street_office"),
    Organization(9, "北京市密云区人力资源和社会保障局", "区人力社保局", (), "member_unit"),
    Organization(10, "北京市密云区生态环境局", "", (), "member_unit"),
    Organization(11, "北京市密云区融媒体中心", "", (), "member_unit"),
    Organization(12, "北京市密云区教育委员会", "", (), "member_unit"),
]


def one(name, orgs=ORGS):
    (match,) = match_units([name], orgs)
    return match


@pytest.mark.parametrize(
    ("name", "org_id", "method"),
    [
        ("北京市密云区科学技术和信息化局", 1, MatchMethod.EXACT),
        ("区科信局", 1, MatchMethod.SHORT_NAME),
        ("区科委", 1, MatchMethod.ALIAS),
        ("区科学技术委员会", 1, MatchMethod.ALIAS),
        ("密云区科学技术和信息化局", 1, MatchMethod.NORMALIZED),
        ("区科技局", 1, MatchMethod.BUILTIN_ALIAS),
        ("区卫健委", 5, MatchMethod.SHORT_NAME),
        ("区卫生健康委", 5, MatchMethod.BUILTIN_ALIAS),
        ("区卫生健康委员会", 5, MatchMethod.NORMALIZED),
        ("区文化和旅游局", 6, MatchMethod.NORMALIZED),
        ("团区委", 4, MatchMethod.SHORT_NAME),
        ("共青团密云区委", 4, MatchMethod.NORMALIZED),
        ("区融媒体中心", 11, MatchMethod.NORMALIZED),
        ("区教委", 12, MatchMethod.BUILTIN_ALIAS),
        ("区教育委员会", 12, MatchMethod.NORMALIZED),
        ("区人保局", 9, MatchMethod.BUILTIN_ALIAS),
        ("区环保局", 10, MatchMethod.BUILTIN_ALIAS),  # the department's name before the 2019 reform
        ("密云区委宣传部", 3, MatchMethod.NORMALIZED),
        ("鼓楼街道", 7, MatchMethod.SHORT_NAME),
        ("鼓楼街道办事处", 7, MatchMethod.EXACT),
        ("密云镇", 8, MatchMethod.SHORT_NAME),
        ("区科协", 2, MatchMethod.SHORT_NAME),
        ("区 科协", 2, MatchMethod.SHORT_NAME),
    ],
)
def test_single_matches(name, org_id, method):
    match = one(name)
    assert (match.status, match.organization_id, match.method) == (MatchStatus.MATCHED, org_id, method)
    assert match.raw == match.part == name.strip()


def test_compound_gives_the_office_and_the_group():
    office, group = match_units(["区科协及其他成员单位"], ORGS)
    assert (office.raw, office.part, office.organization_id) == ("区科协及其他成员单位", "区科协", 2)
    assert (group.part, group.status, group.group.code) == ("其他成员单位", MatchStatus.GROUP, "member_units")
    assert "member_unit" in group.group.kinds


@pytest.mark.parametrize(
    ("name", "code", "suffixes"),
    [
        ("各成员单位", "member_units", ()),
        ("其他成员单位", "member_units", ()),
        ("联席会议各成员单位", "member_units", ()),
        ("各镇（街道）（地区）", "streets_and_towns", ("镇", "街道", "地区")),
        ("各镇街", "streets_and_towns", ("镇", "街道")),
        ("各街道", "streets_and_towns", ("街道",)),
        ("各乡镇（街道）", "streets_and_towns", ("乡", "镇", "街道")),
        ("各街乡镇", "streets_and_towns", ("街道", "乡", "镇")),
        ("属地街道", "streets_and_towns", ("街道",)),
        ("各有关部门", "related_units", ()),
        ("各区", "district_offices", ()),
    ],
)
def test_group_phrases(name, code, suffixes):
    match = one(name)
    assert match.status == MatchStatus.GROUP
    assert match.group.code == code
    assert match.group.name_suffixes == suffixes
    if code == "streets_and_towns":
        assert match.group.kinds == ("street_office",)


@pytest.mark.parametrize("name", ["区科协", "区文化和旅游局", "鼓楼街道", "各镇文化中心", "街道", "各"])
def test_not_group_phrases(name):
    assert group_token(name) is None


def test_names_with_he_are_not_split():
    (match,) = match_units(["区文化和旅游局"], ORGS)
    assert match.organization_id == 6


def test_unresolved_gets_ranked_candidates():
    match = one("果园街道")
    assert match.status == MatchStatus.UNRESOLVED
    assert match.method == MatchMethod.NONE
    assert match.organization_id is None
    assert match.candidates[0].organization_id == 7  # 鼓楼街道 is the closest street
    scores = [c.score for c in match.candidates]
    assert scores == sorted(scores, reverse=True)
    assert all(0 < s <= 1 for s in scores)


def test_two_equally_good_organizations_are_not_guessed():
    orgs = [
        Organization(1, "北京市西城区科学技术协会", "区科协"),
        Organization(2, "北京市密云区科学技术协会", "区科协"),
    ]
    match = one("区科协", orgs)
    assert (match.status, match.method) == (MatchStatus.UNRESOLVED, MatchMethod.AMBIGUOUS)
    assert {c.organization_id for c in match.candidates} == {1, 2}


def test_records_may_be_mappings_or_objects():
    @dataclass
    class Model:  # stands in for a Django model instance
        id: int
        name: str
        short_name: str
        aliases: list
        kind: str

    orgs = [
        {"id": "a", "name": "北京市西城区教育委员会", "short_name": "区教委", "aliases": [], "kind": "member_unit"},
        Model(7, "北京市西城区科学技术和信息化局", "区科信局", ["区科委"], "member_unit"),
    ]
    matches = match_units(["区教委", "区科学技术委员会", "", "  "], orgs)
    assert [(m.organization_id, m.method) for m in matches] == [
        ("a", MatchMethod.SHORT_NAME),
        (7, MatchMethod.BUILTIN_ALIAS),
    ]


def test_matches_serialize():
    data = [m.to_dict() for m in match_units(["区科协及其他成员单位", "果园街道"], ORGS)]
    assert data[0]["organization_id"] == 2
    assert data[1]["group"]["code"] == "member_units"
    assert data[2]["status"] == "unresolved"
    assert data[2]["candidates"][0]["organization_id"] == 7


def test_every_miyun_and_xicheng_name_is_matched_or_grouped(miyun, xicheng):
    """With a full set of district departments, every unit the two plans name resolves."""
    names = sorted({n for d in (miyun, xicheng) for node in d.iter_nodes() if node.units for n in node.units.names})
    departments = [
        "区科学技术和信息化局", "区科学技术协会", "区委宣传部", "区委组织部", "团区委", "区卫生健康委员会",
        "区文化和旅游局", "区融媒体中心", "区教育委员会", "区经济和信息化局", "区生态环境局", "区城市管理委员会",
        "区气象局", "区地震局", "区商务局", "区市场监督管理局", "区农业农村局", "区园林绿化局", "区妇女联合会",
        "区人力资源和社会保障局", "区总工会", "区水务局", "区发展和改革委员会", "区财政局", "区民政局", "区应急管理局",
    ]  # fmt: skip
    orgs = [
        Organization(i, f"北京市密云区{d.removeprefix('区')}" if d.startswith("区") else d)
        for i, d in enumerate(departments)
    ]
    orgs += [
        Organization(100, "鼓楼街道办事处", "鼓楼街道"),
        Organization(101, "果园街道办事处", "果园街道"),
        Organization(102, "密云镇人民政府", "密云镇"),
    ]
    unresolved = [m.part for m in match_units(names, orgs) if m.status == MatchStatus.UNRESOLVED]
    assert unresolved == []


def test_canonical_names():
    assert canonical_name("中共北京市密云区委员会宣传部") == "区委宣传部"
    assert canonical_name("共青团北京市密云区委员会") == "团区委"
    assert canonical_name("北京市西城区科学技术和信息化局") == "区科学技术和信息化局"
    assert canonical_name("鼓楼街道办事处") == "鼓楼街道"
    # A bare district name is part of a place's own name, not a prefix.
    assert canonical_name("密云镇") == "密云镇"
    assert canonical_name("朝阳门街道") == "朝阳门街道"
