"""A 纲要-style outline over fifteen years: measures under "——", principles, goals, 组织实施.

The fixture (data/outline_2021_2035.txt) was written for these tests in the
shape of Beijing's district outlines. The expected values below were written
by reading it: 5 提升行动 with 11 measures, 5 重点工程 with 7 measures, 3
principles written as "——" lines, 11 targets (one of them with its baseline).
"""

from decimal import Decimal

import pytest

from kepu.plans.importer import Comparator, NodeKind, PlanDraft, parse_text

from .support import read_plan

#: Key -> title of every measure, in document order.
MEASURES = {
    "4.1.1": "将科学精神贯穿于育人全过程",
    "4.1.2": "完善学校科学教育体系",
    "4.1.3": "建立校内外科学教育资源有效衔接机制",
    "4.2.1": "开展乡村振兴科技支撑行动",
    "4.2.2": "提升农村科普服务能力",
    "4.3.1": "开展理想信念和职业精神宣传教育",
    "4.3.2": "实施职工技能提升培训",
    "4.4.1": "实施银龄科普行动",
    "4.4.2": "提升老年人信息素养",
    "4.5.1": "加强科学素质教育培训",
    "4.5.2": "在公务员录用中注重科学素质要求",
    "5.1.1": "建立科技资源科普化机制",
    "5.1.2": "推动重大科技设施向公众开放",
    "5.2.1": "实施繁荣科普创作资助计划",
    "5.3.1": "加强科技馆体系建设",
    "5.3.2": "建设社区科普e站",
    "5.4.1": "健全应急科普协调联动机制",
    "5.5.1": "开展科普交流活动",
}

#: Key -> (comparator, value, unit, period, by year) of every target the outline states.
TARGETS = {
    "3": [
        (Comparator.MORE_THAN, Decimal(30), "%", "by_year", 2025),
        (Comparator.AT_LEAST, Decimal(1_200_000), "人次", "by_year", 2025),
        (Comparator.AT_LEAST, Decimal(40), "%", "by_year", 2035),
    ],
    "4.1.1": [(Comparator.AT_LEAST, Decimal(100), "场", "year", None)],
    "4.1.2": [(Comparator.AT_LEAST, Decimal(100), "%", "by_year", 2025)],
    "4.1.3": [(Comparator.AT_LEAST, Decimal(20_000), "人次", "year", None)],
    "4.2.1": [(Comparator.EQUAL, Decimal(1000), "人次", "year", None)],
    "4.3.2": [(Comparator.EQUAL, Decimal(50_000), "人次", "by_year", 2025)],  # 累计 by 2025
    "4.4.2": [(Comparator.EQUAL, Decimal(200), "场", "year", None)],
    "5.1.2": [(Comparator.AT_LEAST, Decimal(30), "个", "by_year", 2025)],
    "5.3.2": [(Comparator.EQUAL, Decimal(60), "个", "by_year", 2025)],
}


@pytest.fixture(scope="module")
def outline() -> PlanDraft:
    return parse_text(read_plan("outline_2021_2035.txt"))


def test_title_gives_fifteen_years_and_the_district(outline):
    assert outline.title == "北京市示例区全民科学素质行动规划纲要（2021—2035年）"
    assert (outline.year, outline.end_year, outline.district) == (2021, 2035, "示例区")


def test_the_measures_are_the_tasks(outline):
    assert outline.bullets_default and outline.bullets_as_tasks
    assert {t.key: t.title for t in outline.tasks()} == MEASURES
    assert all(t.kind == NodeKind.BULLET and t.marker == "——" for t in outline.tasks())
    # The projects they belong to are sections; their intro text stays with them.
    youth = outline.find("4.1")
    assert (youth.role, youth.title) == ("section", "青少年科学素质提升行动")
    assert youth.text.endswith("培育一大批具备科学家潜质的青少年群体。")
    # A measure's text is its whole paragraph, without the dash.
    assert outline.find("5.3.2").text == (
        "建设社区科普e站。依托新时代文明实践站和社区服务中心建设科普e站，到2025年，建成社区科普e站60个。"
    )


def test_principles_goals_and_implementation_are_the_plans_text(outline):
    roles = {n.key: n.role for n in outline.nodes}
    assert roles == {"1": "text", "2": "text", "3": "text", "4": "section", "5": "section", "6": "text"}
    # 基本原则 is written as "——" lines too: text all the same, because of its heading.
    assert [(n.title, n.role) for n in outline.find("2").children] == [
        ("坚持党的领导", "text"),
        ("坚持协同推进", "text"),
        ("坚持开放合作", "text"),
    ]
    assert [(n.title, n.role) for n in outline.find("6").children] == [
        ("加强组织领导", "text"),
        ("健全保障机制", "text"),
        ("开展监测评估", "text"),
    ]
    # Text is not work, so it is not short of responsible units.
    assert not [w for w in outline.warnings if w.code == "missing_units"]


def test_every_target_with_its_period(outline):
    found = {
        n.key: [(t.comparator, t.value, t.unit, t.period, t.by_year) for t in n.targets]
        for n in outline.iter_nodes()
        if n.targets
    }
    assert found == TARGETS
    assert sum(len(v) for v in found.values()) == 11


def test_the_goal_has_its_baseline_and_labels_say_what_is_measured(outline):
    literacy, visitors, later = outline.find("3").targets
    assert (literacy.label, literacy.baseline, literacy.baseline_year) == (
        "公民具备科学素质的比例",
        Decimal("24.5"),
        2020,
    )
    assert visitors.label == "科普场馆年接待观众"
    assert (later.label, later.baseline) == ("公民具备科学素质的比例", None)
    assert outline.find("4.3.2").targets[0].label == "产业工人培训"
    assert outline.find("5.3.2").targets[0].label == "社区科普e站"
    assert outline.find("4.1.3").targets[0].text == "不少于 2 万人次"


def test_no_false_targets(outline):
    # "实施5项提升行动，部署5项重点工程" counts the outline's own parts; "十九届二中…全会" are ordinals;
    # "每5年开展一次调查" has no bound; "2021—2035年" is the outline's span.
    assert outline.preamble_targets == []
    assert outline.find("1").targets == []
    assert outline.find("6.3").targets == []


def test_with_bullets_as_points_the_projects_are_the_tasks_and_keep_every_target(outline):
    draft = PlanDraft.from_dict(outline.to_dict())
    draft.set_bullets_as_tasks(False)
    assert [t.key for t in draft.tasks()] == ["4.1", "4.2", "4.3", "4.4", "4.5", "5.1", "5.2", "5.3", "5.4", "5.5"]
    youth = draft.find("4.1")
    assert [p.role for p in youth.children] == ["point", "point", "point"]
    assert [(t.value, t.unit) for t in draft.targets_of(youth)] == [
        (Decimal(100), "场"),
        (Decimal(100), "%"),
        (Decimal(20_000), "人次"),
    ]
    # The principles were text and stay text.
    assert draft.find("2").role == "text"
    # And back: the measures are tasks again.
    draft.set_bullets_as_tasks(True)
    assert len(draft.tasks()) == len(MEASURES)


def test_a_person_makes_a_project_one_task_or_a_goal_a_task(outline):
    draft = PlanDraft.from_dict(outline.to_dict())
    draft.set_role("5.3", "text")  # a whole project below becomes text
    assert [draft.find(k).role for k in ("5.3", "5.3.1", "5.3.2")] == ["text", "text", "text"]
    assert "5.3.2" not in {t.key for t in draft.tasks()}
    draft.set_role("3", "task")  # the goals are to be supervised as a task
    assert draft.find("3").role == "task"
    draft.set_role("5.3", None)  # as read again
    assert draft.find("5.3.2").role == "task"
    again = PlanDraft.from_dict(draft.to_dict())
    assert [(n.key, n.role) for n in again.iter_nodes()] == [(n.key, n.role) for n in draft.iter_nodes()]
