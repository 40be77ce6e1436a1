"""Miyun 2024 key points: six sections, 18 subsections, 19 "责任单位：" lines.

Section 五 has no subsections and carries its own units line. The expected
values were written by reading the file, not by running the parser.
"""

from kepu.plans.importer import NodeKind, UnitSource

MEMBERS = "区科协及其他成员单位"
TOWNS = "各镇（街道）（地区）"

#: (section, subsection or None) -> (units as written, line of the 责任单位 line)
EXPECTED = {
    (1, 1): (f"区委宣传部、区科委、区教委、区经信局、区融媒体中心、{MEMBERS}、{TOWNS}", 11),
    (1, 2): (f"区委宣传部、区科委、区教委、区卫健委、区文旅局、区融媒体中心、{MEMBERS}、{TOWNS}", 16),
    (1, 3): (f"区委宣传部、区科委、{MEMBERS}、{TOWNS}", 21),
    (1, 4): (f"区生态环境局、区城管委、区卫生健康委、区科委、区气象局、区地震局、区商务局、区科协、{TOWNS}", 26),
    (1, 5): ("区教委、区科委、区市监局、鼓楼街道、果园街道、密云镇", 31),
    (2, 1): (f"区文旅局、区科委、区教委、区农业农村局、区园林绿化局、区经信局、区商务局、{MEMBERS}、{TOWNS}", 37),
    (2, 2): (f"区农业农村局、区科委、区教委、区文旅局、区园林绿化局、区商务局、{MEMBERS}、{TOWNS}", 41),
    (2, 3): (f"区教委、团区委、区科委、区科协、{TOWNS}", 47),
    (3, 1): (f"区委宣传部、区科委、区教委、区卫健委、区经信局、区融媒体中心、{MEMBERS}、{TOWNS}", 52),
    (3, 2): (f"各成员单位、{TOWNS}", 58),
    (4, 1): (f"区教委、区科委、团区委、{MEMBERS}、{TOWNS}", 65),
    (4, 2): (f"区委宣传部、区科委、区农业农村局、区园林绿化局、区科协、区妇联、{TOWNS}", 69),
    (4, 3): ("区人力社保局、区总工会、区妇联", 75),
    (4, 4): (f"区卫健委、区科委、区科协、{TOWNS}", 80),
    (4, 5): ("区委组织部、区人保局、区科协", 86),
    (5, None): (
        (
            "区委宣传部、团区委、区生态环境局、区水务局、区城管委、区园林绿化局、区文旅局、"
            f"区融媒体中心、区科委、区发展改革委、{MEMBERS}、{TOWNS}"
        ),
        92,
    ),
    (6, 1): (f"各成员单位、{TOWNS}", 98),
    (6, 2): (f"区财政局、各成员单位、{TOWNS}", 104),
    (6, 3): (f"团区委、区科委、区教委、区科协、各成员单位、{TOWNS}", 110),
}

SUBSECTION_TITLES = {
    (1, 1): "促进科技创新资源科普化",
    (1, 5): "促进科技类校外培训机构良性发展",
    (2, 3): "加强科普与学校教育深度融合",
    (4, 5): "提升领导干部和公务员科学素质",
    (6, 3): "强化科普队伍建设",
}


def _with_units(draft):
    """(section, subsection) -> node for every node that has units."""
    found = {}
    for section in draft.nodes:
        if section.units is not None:
            found[(section.number, None)] = section
        for sub in section.children:
            if sub.units is not None:
                found[(section.number, sub.number)] = sub
    return found


def test_title_skips_the_attachment_label(miyun):
    assert miyun.title == "2024年密云区科普工作要点"
    assert (miyun.year, miyun.district) == (2024, "密云区")
    assert miyun.preamble_lines == (5, 5)
    assert miyun.preamble.startswith("2024年是实现“十四五”规划目标的关键一年")
    assert "附件1" not in miyun.preamble


def test_six_sections_eighteen_subsections(miyun):
    assert [n.kind for n in miyun.nodes] == [NodeKind.SECTION] * 6
    assert [n.number for n in miyun.nodes] == [1, 2, 3, 4, 5, 6]
    assert [len(n.children) for n in miyun.nodes] == [5, 3, 2, 5, 0, 3]
    subsections = [n for n in miyun.iter_nodes() if n.kind == NodeKind.SUBSECTION]
    assert len(subsections) == 18
    assert miyun.nodes[4].title == "保水保生态，科普助力筑牢生态屏障"
    assert miyun.nodes[5].title == "强化科普统筹管理，加强组织领导和政策落实"


def test_nineteen_units_lines(miyun):
    found = _with_units(miyun)
    assert len(found) == 19
    assert set(found) == set(EXPECTED)
    assert all(node.units.source == UnitSource.LINE for node in found.values())
    assert [n.line for n in (node.units for node in found.values())] == sorted(line for _, line in EXPECTED.values())


def test_units_exactly_as_written(miyun):
    for key, node in _with_units(miyun).items():
        written, line = EXPECTED[key]
        assert node.units.names == written.split("、"), key
        assert node.units.line == line, key
        assert node.units.raw == "责任单位：" + written, key
        assert node.line_end == line, key


def test_section_five_is_a_task_without_subsections(miyun):
    five = miyun.nodes[4]
    assert five.children == []
    assert five.is_task
    assert (five.line_start, five.line_end) == (88, 92)
    assert five.text.startswith("保水保生态，科普助力筑牢生态屏障\n全面落实习近平总书记")
    assert len(miyun.tasks()) == 19


def test_subsection_titles_and_text(miyun):
    by_key = {(s.number, sub.number): sub for s in miyun.nodes for sub in s.children}
    for key, title in SUBSECTION_TITLES.items():
        assert by_key[key].title == title
    first = by_key[(1, 1)]
    assert (first.marker, first.line_start, first.line_end) == ("（一）", 8, 11)
    assert first.text.split("\n")[1].startswith("聚焦怀柔科学城东区建设")
    assert "责任单位" not in first.text


def test_no_targets_are_invented(miyun):
    # 第42届, 第十六届, "1+5", "5+2", 十四五, 五部委, 三位一体, (2021-2035年) are not targets.
    assert miyun.preamble_targets == []
    assert all(n.targets == [] for n in miyun.iter_nodes())
    assert miyun.warnings == []
