"""Plans the importer has never seen: other numbering mixes, unit shapes and noise.

Written for these tests, each one exercises a shape that real plans use.
"""

from decimal import Decimal

import pytest

from kepu.plans.importer import (
    Comparator,
    NodeKind,
    PlanImportError,
    UnitSource,
    parse_text,
)

ARABIC_THEN_PARENS = """\
2025年示例区科普工作方案

为贯彻落实全民科学素质行动规划纲要，制定本方案。全年开展科普活动不少于500场。

１．加强科普阵地建设
（1）新建社区科普体验站10个。
（2）认定区级科普基地5家。
责任单位：区科委、区科协
２．开展群众性科普活动
（1）每年举办科技活动周等活动，参与群众2万人次以上。
责任单位：区科协
（2）组织科普讲座100场。
牵头单位：区科协；配合单位：区教委、区卫健委
"""


def test_arabic_tasks_with_parenthesized_items_and_fullwidth_digits():
    draft = parse_text(ARABIC_THEN_PARENS)
    assert draft.title == "2025年示例区科普工作方案"
    assert (draft.year, draft.district) == (2025, "示例区")
    assert [(n.kind, n.marker, n.number) for n in draft.nodes] == [
        (NodeKind.TASK, "１．", 1),
        (NodeKind.TASK, "２．", 2),
    ]
    first, second = draft.nodes
    assert [(c.kind, c.marker, c.number) for c in first.children] == [
        (NodeKind.ITEM, "（1）", 1),
        (NodeKind.ITEM, "（2）", 2),
    ]
    # The units line after the last point covers the whole task.
    assert first.units.names == ["区科委", "区科协"]
    assert first.units.source == UnitSource.LINE
    assert all(c.units is None for c in first.children)
    # Points with units lines of their own keep them.
    assert second.units is None
    assert second.children[0].units.names == ["区科协"]
    assert second.children[1].units.names == ["区科协", "区教委", "区卫健委"]
    assert second.children[1].units.lead == ["区科协"]
    assert second.children[1].units.support == ["区教委", "区卫健委"]
    # Targets on the points and in the preamble.
    assert [(t.value, t.unit) for t in first.children[0].targets] == [(Decimal(10), "个")]
    assert [(t.value, t.unit, t.label) for t in first.children[1].targets] == [(Decimal(5), "家", "区级科普基地认定")]
    (crowd,) = second.children[0].targets
    assert (crowd.value, crowd.comparator, crowd.period) == (Decimal(20000), Comparator.AT_LEAST, "year")
    (preamble_target,) = draft.preamble_targets
    assert (preamble_target.value, preamble_target.comparator, preamble_target.line) == (
        Decimal(500),
        Comparator.AT_LEAST,
        3,
    )
    assert [t.key for t in draft.tasks()] == ["1.1", "1.2", "2.1", "2.2"]


NO_UNITS_WITH_BULLETS = """\
某区2023年全民科学素质工作要点
一、总体要求
坚持以人民为中心。
二、重点任务
（一）青少年科学素质提升
1.开展科技教育活动。
——举办学生科技节。
——组织科学营。
2.加强科技辅导员队伍建设。
（二）老年人科学素质提升
1.开展智能技术培训。
三、保障措施
加强组织领导。
"""


def test_no_units_at_all_and_bullets():
    draft = parse_text(NO_UNITS_WITH_BULLETS)
    assert draft.title == "某区2023年全民科学素质工作要点"
    assert draft.year == 2023
    assert draft.preamble == ""
    assert [n.title for n in draft.nodes] == ["总体要求", "重点任务", "保障措施"]
    tasks = draft.nodes[1]
    assert [c.kind for c in tasks.children] == [NodeKind.SUBSECTION, NodeKind.SUBSECTION]
    youth = tasks.children[0]
    assert [(c.marker, c.title) for c in youth.children] == [
        ("1.", "开展科技教育活动"),
        ("2.", "加强科技辅导员队伍建设"),
    ]
    bullets = youth.children[0].children
    assert [(b.kind, b.marker, b.title) for b in bullets] == [
        (NodeKind.BULLET, "——", "举办学生科技节"),
        (NodeKind.BULLET, "——", "组织科学营"),
    ]
    assert youth.children[0].is_task  # bullets do not make a task a heading
    assert all(n.units is None for n in draft.iter_nodes())
    assert draft.nodes[0].text == "总体要求\n坚持以人民为中心。"
    assert not [w for w in draft.warnings if w.code == "missing_units"]
    # 总体要求 and 保障措施 are the plan's text, not tasks; the two short bullets are points of task 1.
    roles = [(n.title, n.role) for n in draft.nodes]
    assert roles == [("总体要求", "text"), ("重点任务", "section"), ("保障措施", "text")]
    assert not draft.bullets_as_tasks
    assert [b.role for b in bullets] == ["point", "point"]
    assert [t.title for t in draft.tasks()] == ["开展科技教育活动", "加强科技辅导员队伍建设", "开展智能技术培训"]


UNITS_AFTER_ITEMS = """\
2022年科普工作计划
第一部分 重点工作
1) 开展科普进社区活动，全年不少于200场。（牵头单位：区科协；配合单位：各街道）
2) 建设科普e站。责任单位：区科信局、区融媒体中心
3) 推进科普基地建设。
（区科协、区教育委员会）
4) 加强宣传。(责任单位: 区委宣传部)
"""


def test_unit_tails_of_every_shape():
    draft = parse_text(UNITS_AFTER_ITEMS)
    (part,) = draft.nodes
    assert (part.kind, part.marker, part.title) == (NodeKind.SECTION, "第一部分", "重点工作")
    items = part.children
    assert [i.marker for i in items] == ["1)", "2)", "3)", "4)"]
    assert items[0].units.lead == ["区科协"]
    assert items[0].units.support == ["各街道"]
    assert items[0].units.source == UnitSource.TAIL
    assert items[0].text == "开展科普进社区活动，全年不少于200场。"
    (target,) = items[0].targets
    assert (target.value, target.comparator, target.period) == (Decimal(200), Comparator.AT_LEAST, "year")
    # Without brackets after a sentence end.
    assert items[1].units.names == ["区科信局", "区融媒体中心"]
    assert items[1].units.source == UnitSource.TAIL
    assert items[1].text == "建设科普e站。"
    # A bare bracket of names on the next line.
    assert items[2].units.names == ["区科协", "区教育委员会"]
    assert items[2].units.source == UnitSource.BARE_TAIL
    assert items[2].units.line == 6
    assert items[2].text == "推进科普基地建设。"
    # Half-width colon and brackets.
    assert items[3].units.names == ["区委宣传部"]


WRAPPED_AND_NOISY = """\
<a name="_Toc1"></a>**2021年示例区科普工作计划**

## 一、加强科普能力建设
{#_Hlk123 .anchor}1、推动科普基地提质增效，引导基地面向
公众开放，全年接待观众
5万人次。（责任单位：区科委、
区科协）
2、完善科普设施。
（二）加强领导（责任单位：区科协）
健全工作机制。
"""


def test_wrapped_lines_and_converter_noise():
    draft = parse_text(WRAPPED_AND_NOISY)
    assert draft.title == "2021年示例区科普工作计划"
    (section,) = draft.nodes
    assert section.title == "加强科普能力建设"
    first = section.children[0]
    assert (first.line_start, first.line_end) == (4, 7)
    assert first.units.names == ["区科委", "区科协"]
    assert first.units.line == 6
    assert first.text == "推动科普基地提质增效，引导基地面向\n公众开放，全年接待观众\n5万人次。"
    (visitors,) = first.targets
    assert (visitors.value, visitors.unit, visitors.line) == (Decimal(50000), "人次", 6)
    # A units tail at the end of a heading line, with the body below it.
    sub = section.children[2]
    assert (sub.kind, sub.title, sub.units.names) == (NodeKind.SUBSECTION, "加强领导", ["区科协"])
    assert sub.text == "加强领导\n健全工作机制。"


def test_numbering_gap_is_a_warning():
    draft = parse_text("计划\n一、甲\n1、做一\n2、做二\n4、做四\n三、丙\n")
    codes = [(w.code, w.line) for w in draft.warnings]
    assert ("numbering_gap", 5) in codes
    assert ("numbering_gap", 6) in codes


def test_units_line_after_a_task_with_a_tail_goes_to_the_section():
    draft = parse_text("计划\n一、甲\n1、做一。（责任单位：区科协）\n2、做二。（责任单位：区教委）\n责任单位：区科委\n")
    section = draft.nodes[0]
    assert section.units.names == ["区科委"]
    assert section.children[1].units.names == ["区教委"]
    assert [w.code for w in draft.warnings] == ["units_line_moved"]


def test_missing_units_warning_when_most_tasks_have_them():
    draft = parse_text("计划\n1、做一。（责任单位：区科协）\n2、做二。（责任单位：区教委）\n3、做三。\n")
    assert [(w.code, w.line) for w in draft.warnings] == [("missing_units", 4)]


def test_parenthetical_remarks_are_not_units():
    draft = parse_text(
        "计划\n1、落实《科普基地管理办法（试行）》。\n2、发挥新时代文明实践中心（所、站）作用\n3、开展活动。（2024年）\n"
    )
    assert all(n.units is None for n in draft.iter_nodes())
    assert draft.nodes[0].text == "落实《科普基地管理办法（试行）》。"


@pytest.mark.parametrize("text", ["", "   \n\n\u3000\n", "[bookmark: _Hlk1]\n"])
def test_empty_input(text):
    with pytest.raises(PlanImportError) as caught:
        parse_text(text)
    assert caught.value.code == "empty_input"


@pytest.mark.parametrize("text", ["今天天气很好。\n我们去公园。", "2024年是关键一年，要做好十四五规划收官。"])
def test_prose_is_not_a_plan(text):
    with pytest.raises(PlanImportError) as caught:
        parse_text(text)
    assert caught.value.code == "not_a_plan"
    assert "numbered" in caught.value.message


def test_too_large():
    with pytest.raises(PlanImportError) as caught:
        parse_text("一、甲\n" + "字" * 200_001)
    assert caught.value.code == "input_too_large"


def test_a_book_of_tasks_is_refused_before_it_is_built():
    # A plan has tens to hundreds of parts; this has 1,001 (each line well under the character cap).
    def plan(parts: int) -> str:
        return "计划\n" + "".join(f"{n % 500 + 1}、开展活动。\n" for n in range(parts))

    with pytest.raises(PlanImportError) as caught:
        parse_text(plan(1001))
    assert caught.value.code == "too_many_parts"
    assert "1001" in caught.value.message
    assert len(parse_text(plan(1000)).tasks()) == 1000


def test_no_title_is_a_warning():
    draft = parse_text("一、甲\n1、做一\n")
    assert draft.title == ""
    assert draft.warnings[0].code == "no_title"


def test_text_must_be_str():
    with pytest.raises(TypeError):
        parse_text(b"bytes")  # type: ignore[arg-type]


def test_windows_line_endings_and_tabs_read_the_same(xicheng_text, xicheng):
    indented = "\n".join("\t" + line for line in xicheng_text.split("\n"))
    windows = parse_text(indented.replace("\n", "\r\n"))
    assert [(t.number, t.units.names) for t in windows.tasks()] == [(t.number, t.units.names) for t in xicheng.tasks()]


def test_grades_in_prose_are_not_sections():
    draft = parse_text("计划\n一、青少年\n1、面向小学生开展活动，\n一、二年级学生以体验为主。\n")
    (section,) = draft.nodes
    (task,) = section.children
    assert task.text == "面向小学生开展活动，\n一、二年级学生以体验为主。"
