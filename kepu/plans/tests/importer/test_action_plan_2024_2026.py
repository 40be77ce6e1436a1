"""A three-year action plan: 总体要求 (principles, goals), numbered tasks with units, 保障措施.

The fixture (data/action_plan_2024_2026.txt) was written for these tests. Read
by hand: six tasks 1.–6. under 重点任务, a 保障措施 item that names its own
unit (so it is work someone answers for), and the rest of 总体要求 and 保障措施
is the plan's text.
"""

from decimal import Decimal

import pytest

from kepu.plans.importer import Comparator, PlanDraft, parse_text

from .support import read_plan


@pytest.fixture(scope="module")
def plan() -> PlanDraft:
    return parse_text(read_plan("action_plan_2024_2026.txt"))


def test_title_and_years_skip_the_attachment_label(plan):
    assert plan.title == "示例区科普能力提升三年行动计划（2024—2026年）"
    assert (plan.year, plan.end_year, plan.district) == (2024, 2026, "示例区")
    assert plan.preamble.startswith("为贯彻落实")


def test_tasks_are_the_work_not_the_principles(plan):
    assert [(t.key, t.marker, t.title, t.units.names) for t in plan.tasks()] == [
        ("2.1.1", "1.", "推进科普基地提质增效", ["区科协", "区科委"]),
        ("2.1.2", "2.", "建设社区科普e站", ["区科协", "区科普基地联盟", "各街道"]),
        ("2.2.1", "3.", "办好品牌科普活动", ["区科协", "区科委", "区科普基地联盟"]),
        ("2.2.2", "4.", "推进科普进校园", ["区教委", "区科普基地联盟"]),
        ("2.2.3", "5.", "加强健康科普", ["区卫健委", "区科协"]),
        ("2.3.1", "6.", "发展科普志愿者队伍", ["区科协", "团区委"]),
        ("3.2", "（二）", "强化经费保障", ["区财政局"]),
    ]
    # 指导思想, the three 工作原则 and 工作目标 are text, and so is all of 总体要求.
    assert [(n.title, n.role) for n in plan.find("1").iter_nodes()] == [
        ("总体要求", "text"),
        ("指导思想", "text"),
        ("工作原则", "text"),
        ("坚持统筹协调", "text"),
        ("坚持需求导向", "text"),
        ("坚持创新驱动", "text"),
        ("工作目标", "text"),
    ]
    # 保障措施 holds a task, so it is a section; its other items are text.
    assert [(n.title, n.role) for n in plan.find("3").iter_nodes()] == [
        ("保障措施", "section"),
        ("加强组织领导", "text"),
        ("强化经费保障", "task"),
        ("严格督导考核", "text"),
    ]
    # Every task has units: no warning; the text items were never asked for units.
    assert plan.warnings == []


def test_goals_with_baseline_per_year_and_by_year(plan):
    literacy, activities, people = plan.find("1.3").targets
    assert (literacy.comparator, literacy.value, literacy.unit, literacy.label) == (
        Comparator.AT_LEAST,
        Decimal(30),
        "%",
        "公民具备科学素质的比例",
    )
    assert (literacy.period, literacy.by_year, literacy.qualifiers) == ("by_year", 2026, ["力争", "达到"])
    assert (literacy.baseline, literacy.baseline_year) == (Decimal("26.1"), 2023)
    assert (activities.value, activities.unit, activities.label, activities.period) == (800, "场", "科普活动", "year")
    assert (people.value, people.comparator, people.text) == (500_000, Comparator.AT_LEAST, "达到 50 万人次以上")


def test_task_targets(plan):
    found = {
        t.key: [(t2.comparator, t2.value, t2.unit, t2.period, t2.by_year) for t2 in t.targets] for t in plan.tasks()
    }
    assert found == {
        "2.1.1": [(Comparator.EQUAL, Decimal(10), "家", None, None)],
        "2.1.2": [(Comparator.EQUAL, Decimal(30), "个", "by_year", 2025)],
        "2.2.1": [(Comparator.AT_LEAST, Decimal(20), "场", "year", None)],
        "2.2.2": [(Comparator.AT_LEAST, Decimal(10), "场", "term", None)],
        "2.2.3": [(Comparator.AT_LEAST, Decimal(200_000), "人次", "year", None)],
        "2.3.1": [(Comparator.AT_LEAST, Decimal(5000), "人", "by_year", 2026)],
        "3.2": [],
    }


def test_counts_of_the_plans_own_parts_are_not_targets(plan):
    # "围绕阵地、活动、队伍3个方面，部署6项重点任务" describes the plan; "党的十八届三中全会" is an ordinal.
    assert plan.preamble_targets == []
    assert plan.find("1.1").targets == []


def test_a_person_flips_a_principle_into_a_task_and_a_task_into_text(plan):
    draft = PlanDraft.from_dict(plan.to_dict())
    draft.set_role("1.2.1", "task")
    draft.set_role("3.2", "text")
    assert [t.key for t in draft.tasks()] == ["1.2.1", "2.1.1", "2.1.2", "2.2.1", "2.2.2", "2.2.3", "2.3.1"]
    assert [draft.find(k).role for k in ("1", "1.2", "3")] == ["section", "section", "text"]
    # The flipped principle has no units while most tasks do: the person is told.
    assert [(w.code, w.line, w.data["title"]) for w in draft.warnings] == [("missing_units", 11, "坚持统筹协调")]
