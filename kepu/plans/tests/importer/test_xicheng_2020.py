"""Xicheng 2020 work plan: 23 numbered tasks in five sections, units as tails.

The expected values below were written by reading the file, not by running the
parser. The file's traps: a "[bookmark: _Hlk513286779]" in front of item 13,
item 23 written "23." where the others have "、", item 17's units in brackets
without the word 责任单位, brackets of mixed width (item 3), and a "；" before
item 8's tail.
"""

from kepu.plans.importer import NodeKind, UnitSource

#: task number -> (section number, responsible units as written)
EXPECTED_UNITS = {
    1: (1, "区科信局、区科协、各成员单位"),
    2: (1, "区财政、区科信局、区科协"),
    3: (1, "区科信局、区科协、各成员单位"),
    4: (1, "区科信局、各成员单位"),
    5: (2, "区科信局、区科协、各成员单位"),
    6: (2, "区科信局、区科协、各成员单位"),
    7: (2, "区科信局、区科协、区环保局、区文旅局、区卫健委、区应急局、各成员单位"),
    8: (2, "区组织部、区人力社保局、区总工会、区教委、区科信局、区科协、各成员单位"),
    9: (3, "区教委、区科信局、区科协"),
    10: (3, "区科信局、区科协、各街道"),
    11: (3, "区科信局、区科协、区文旅局、各街道"),
    12: (3, "区园林绿化局、区科协、各街道"),
    13: (3, "区委宣传部、区文旅局、区商务局、区园林绿化局、区科协、各街道"),
    14: (4, "区科信局、区科协、区委宣传部、各成员单位"),
    15: (4, "区委宣传部、团区委、区民政局、区科信局、区科协、区教委"),
    16: (4, "区教委、区科协"),
    17: (5, "区科信局、区科协、各街道"),
    18: (5, "各成员单位"),
    19: (5, "区科信局、区科协、各成员单位"),
    20: (5, "区委宣传部、各成员单位"),
    21: (5, "区科信局、区科协、各成员单位"),
    22: (5, "区科协、区科信局、各成员单位"),
    23: (5, "区卫健委、区民政局、区科信局、区科协"),
}

SECTION_TITLES = {
    1: "加强组织领导和政策保障",
    2: "统筹组织区域重大科技活动，打造特色科普品牌，不断提升科普工作活力",
    3: "加强科普基础设施建设，优化科普服务体系布局",
    4: "提升科普传播能力",
    5: "营造崇尚科学，崇尚创新的科普工作环境",
}


def _tasks(draft):
    return [n for n in draft.iter_nodes() if n.kind == NodeKind.TASK]


def test_title_year_district_and_preamble(xicheng):
    assert xicheng.title == "2020年西城区科普工作计划"
    assert xicheng.year == 2020
    assert xicheng.district == "西城区"
    assert xicheng.preamble_lines == (3, 5)
    assert xicheng.preamble.startswith("2020年是全面实现“十三五”规划建设任务")
    # The bookmark in front of the preamble's last line is gone.
    assert "bookmark" not in xicheng.preamble
    assert xicheng.preamble.endswith("营造崇尚科学、崇尚创新的区域科普工作氛围。")


def test_five_sections_with_their_titles(xicheng):
    assert [n.kind for n in xicheng.nodes] == [NodeKind.SECTION] * 5
    assert {n.number: n.title for n in xicheng.nodes} == SECTION_TITLES
    assert [n.marker for n in xicheng.nodes] == ["一、", "二、", "三、", "四、", "五、"]


def test_twenty_three_tasks_in_order(xicheng):
    tasks = _tasks(xicheng)
    assert [t.number for t in tasks] == list(range(1, 24))
    assert xicheng.tasks() == tasks
    # Each task is on one line of its own: line 7 holds task 1 … line 33 holds task 23.
    expected_lines = [7, 8, 9, 10, 12, 13, 14, 15, 17, 18, 19, 20, 21, 23, 24, 25, 27, 28, 29, 30, 31, 32, 33]
    assert [(t.line_start, t.line_end) for t in tasks] == [(n, n) for n in expected_lines]


def test_each_task_sits_in_its_section(xicheng):
    for section in xicheng.nodes:
        for task in section.children:
            assert EXPECTED_UNITS[task.number][0] == section.number


def test_units_exactly_as_written(xicheng):
    for task in _tasks(xicheng):
        assert task.units is not None, task.marker
        assert task.units.names == EXPECTED_UNITS[task.number][1].split("、"), task.marker
        assert task.units.line == task.line_start


def test_unit_sources(xicheng):
    sources = {t.number: t.units.source for t in _tasks(xicheng)}
    assert sources.pop(17) == UnitSource.BARE_TAIL
    assert set(sources.values()) == {UnitSource.TAIL}


def test_item_13_behind_a_bookmark(xicheng):
    task = xicheng.find("3.5")
    assert task.number == 13
    assert task.marker == "13、"
    assert task.text.startswith("引导区域社会资源、公共场所增设科普宣传设施")
    assert "bookmark" not in task.text
    assert task.title == "引导区域社会资源、公共场所增设科普宣传设施，开展科普宣传活动"
    assert "[bookmark: _Hlk513286779]" in xicheng.source_lines[20]  # the source keeps what was there


def test_item_23_written_with_a_full_stop(xicheng):
    task = xicheng.find("5.7")
    assert (task.number, task.marker) == (23, "23.")
    assert task.text.startswith("鼓励有条件的科研院所")
    assert [w.code for w in xicheng.warnings if w.line == 33] == ["mixed_punctuation"]


def test_item_17_bare_units(xicheng):
    task = xicheng.find("5.1")
    assert task.number == 17
    assert task.units.raw == "（区科信局、区科协、各街道）"
    assert task.text.endswith("全面提升全民科学素养的良好局面。")


def test_task_text_without_tail(xicheng):
    tasks = {t.number: t for t in _tasks(xicheng)}
    assert tasks[2].title == "持续保障科普经费投入"
    assert (
        tasks[2].text
        == "持续保障科普经费投入。加强对科普事业的政策引导、条件支持和项目投入。完善对科普经费使用效益的评估。"
    )
    assert tasks[2].units.raw == "(责任单位：区财政、区科信局、区科协)"
    assert tasks[3].units.raw == "(责任单位：区科信局、区科协、各成员单位）"
    assert tasks[8].text.endswith("提升企业员工安全意识；")
    for task in tasks.values():
        assert "责任单位" not in task.text


def test_no_targets_are_invented(xicheng):
    # Years (2020年), plan names (十三五, 十四五) and 科普三个一 are not targets.
    assert xicheng.preamble_targets == []
    assert all(n.targets == [] for n in xicheng.iter_nodes())


def test_sections_have_no_units_and_no_other_warnings(xicheng):
    assert all(s.units is None for s in xicheng.nodes)
    assert [w.code for w in xicheng.warnings] == ["mixed_punctuation"]
