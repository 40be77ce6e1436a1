"""A plan over a year range, "（2024-2026年）", whose targets are dated by the paragraph they stand in.

The fixture (data/science_plan_2024_2026.txt) was written for these tests; the
expected values were read off it by hand.
"""

from decimal import Decimal

import pytest

from kepu.plans.importer import Comparator, PlanDraft, parse_text

from .support import read_plan


@pytest.fixture(scope="module")
def plan() -> PlanDraft:
    return parse_text(read_plan("science_plan_2024_2026.txt"))


def test_the_title_gives_first_and_last_year(plan):
    assert (plan.year, plan.end_year) == (2024, 2026)


def test_the_preamble_reports_where_things_stand_not_targets(plan):
    # "2023年，全区共举办科普活动720场，参与群众达到 35 万人次": the year before the plan, so baselines.
    assert [(t.value, t.unit, t.label, t.is_baseline, t.baseline_year) for t in plan.preamble_targets] == [
        (Decimal(720), "场", "科普活动", True, 2023),
        (Decimal(350_000), "人次", "群众", True, 2023),
    ]
    # "党的十八届三中全会", "实施4项行动，部署12项工作任务": no targets there.


def test_the_year_of_the_sentence_before_dates_the_paragraphs_targets(plan):
    creation = plan.find("1.2.1")
    assert creation.title == "到2027年，科普创作体系基本形成"
    assert [(t.value, t.unit, t.label, t.period, t.by_year) for t in creation.targets] == [
        (Decimal(500), "场", "科普讲座", "by_year", 2027),
        (Decimal(120), "种", "出版科普图书", "by_year", 2027),
        (Decimal(300), "部", "制作科普微视频", "by_year", 2027),
    ]
    sites = plan.find("1.1.1")
    assert [(t.value, t.unit, t.by_year) for t in sites.targets] == [
        (Decimal(20), "个", 2026),
        (Decimal(15), "家", 2026),
    ]


def test_per_year_in_total_and_unstated(plan):
    (visits,) = plan.find("1.1.2").targets
    assert (visits.comparator, visits.value, visits.unit, visits.period, visits.by_year) == (
        Comparator.AT_LEAST,
        Decimal(200_000),
        "人次",
        "year",
        None,
    )
    assert visits.text == "不少于 20 万人次"
    (works,) = plan.find("1.2.2").targets
    assert (works.value, works.period, works.label) == (Decimal(1000), "total", "科普作品发布")


def test_two_targets_of_one_sentence_each_get_a_label(plan):
    staff, full_time = plan.find("1.3.1").targets
    assert (staff.value, staff.label, staff.by_year) == (Decimal(3000), "科普专兼职人员", 2025)
    assert (full_time.value, full_time.label, full_time.comparator) == (Decimal(300), "专职人员", Comparator.AT_LEAST)


def test_every_task_has_units(plan):
    assert len(plan.tasks()) == 6
    assert plan.warnings == []
