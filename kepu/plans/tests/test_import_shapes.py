"""Importing documents of each shape end to end: an outline, an action plan, a plan over a year range.

What the office sees on the review page is what gets published: tasks where it said task, the
plan's text kept as text, every target shown (with its period and baseline), never a baseline
as a target; units resolved once for every task that names them.
"""

from datetime import date
from decimal import Decimal

import pytest
from django.utils import translation

from kepu.core.errors import DomainError, NotAllowed
from kepu.core.models import AuditEntry
from kepu.plans import review, services
from kepu.plans.models import ImportDraft, NodeKind, Plan, Target, TargetPeriod
from kepu.plans.selectors import plan_progress
from kepu.plans.tests.importer.support import read_plan

pytestmark = pytest.mark.django_db


def upload(actor, name: str, filename: str = "plan.txt") -> ImportDraft:
    return services.draft_create(actor=actor, data=read_plan(name).encode(), filename=filename)


def publish(actor, draft, year, end_year=None) -> Plan:
    for key, index, _name in services.unresolved_units(draft):
        draft = services.draft_choose_unit(actor=actor, draft=draft, task_key=key, index=index, choice=services.SKIP)
    return services.plan_publish(actor=actor, draft=draft, title=draft.data["title"], year=year, end_year=end_year)


def shown_targets(draft) -> int:
    return review.review(draft).summary().targets


def test_an_outline_over_fifteen_years_publishes_its_measures_and_keeps_every_target(world, as_actor):
    office = as_actor(world.a.admin)
    draft = upload(office, "outline_2021_2035.txt")
    summary = review.review(draft).summary()
    assert (summary.tasks, summary.targets, summary.baselines) == (18, 11, 0)
    plan = publish(office, draft, 2021, 2035)
    assert (plan.period_start, plan.period_end, plan.period_label) == (
        date(2021, 1, 1),
        date(2035, 12, 31),
        "2021–2035",
    )
    tasks = plan.nodes.filter(kind=NodeKind.TASK).order_by("position")
    assert tasks.count() == 18
    assert tasks[0].title == "将科学精神贯穿于育人全过程"
    assert tasks[0].parent.title == "青少年科学素质提升行动"
    texts = list(
        plan.nodes.filter(kind=NodeKind.TEXT, parent=None).order_by("position").values_list("title", flat=True)
    )
    assert texts == [
        "为深入贯彻落实《全民科学素质行动规划纲要（2021—2035年）》和《北京市全民科学素质行动规划纲要（2021—2035年）》，"
        "全面提升我区公民科学素质，结合示例区实际，制定本纲要",
        "指导思想",
        "基本原则",
        "发展目标",
        "组织实施",
    ]
    # Every target shown was published, where it was shown, with its period and due date.
    assert Target.objects.filter(task__plan=plan).count() == 11
    goal = Target.objects.get(task__plan=plan, task__title="发展目标", quantity=30)
    assert (goal.comparator, goal.period, goal.due_date) == (">", TargetPeriod.BY_YEAR, date(2025, 12, 31))
    assert (goal.baseline, goal.baseline_year) == (Decimal("24.5"), 2020)
    with translation.override("zh-hans"):
        assert goal.period_label == "到2025年"
    trained = Target.objects.get(task__plan=plan, unit_of_measure="人次", quantity=50_000)
    assert (trained.period, trained.due_date, trained.task.kind) == (TargetPeriod.BY_YEAR, date(2025, 12, 31), "task")
    yearly = Target.objects.get(task__plan=plan, quantity=1000)
    assert (yearly.period, yearly.due_date) == (TargetPeriod.YEAR, date(2035, 12, 31))
    assert AuditEntry.objects.get(action="kepu.plans.plan_published").data["targets"] == 11


def test_the_plans_text_weighs_nothing_in_progress(world, as_actor):
    office = as_actor(world.a.admin)
    draft = upload(office, "action_plan_2024_2026.txt")
    services.draft_resolve_name(actor=office, draft=draft, name="区财政局", choice=str(world.a.unit.pk))
    draft.refresh_from_db()
    plan = publish(office, draft, 2024, 2026)
    task = plan.nodes.get(kind=NodeKind.TASK, title="强化经费保障")
    assert task.lead_unit == world.a.unit
    services.report_create(actor=as_actor(world.a.unit_staff), task=task, text="已列入预算。", percent=100)
    view = plan_progress(plan)
    safeguards = next(v for v in view.nodes if v.node.title == "保障措施")
    # 保障措施 holds one task (done) and two items of text: it is done, not a third done.
    assert safeguards.progress == 1
    assert [v.node.kind for v in safeguards.children] == ["text", "task", "text"]
    assert len(view.tasks) == 7
    goals = next(v for v in view.nodes if v.node.title == "工作目标")
    assert [(tv.target.quantity, tv.target.baseline) for tv in goals.targets] == [
        (Decimal(30), Decimal("26.1")),
        (Decimal(800), None),
        (Decimal(500_000), None),
    ]
    # The plan's progress is its two sections with tasks; 总体要求 (all text) weighs nothing.
    counted = [r for r in view.roots if r.node.kind != NodeKind.TEXT]
    assert [r.node.title for r in counted] == ["重点任务", "保障措施"]
    assert view.progress == (counted[0].progress + 1) / 2


def test_a_unit_named_in_three_tasks_is_resolved_once(world, as_actor):
    office = as_actor(world.a.admin)
    draft = upload(office, "action_plan_2024_2026.txt")
    alliance = [(k, i) for k, i, name in services.unresolved_units(draft) if name == "区科普基地联盟"]
    assert [k for k, _i in alliance] == ["2.1.2", "2.2.1", "2.2.2"]
    changed = services.draft_resolve_name(
        actor=office, draft=draft, name="区科普基地联盟", choice=str(world.a.unit2.pk)
    )
    draft.refresh_from_db()
    assert changed == 3
    assert [draft.matches[k][i]["choice"] for k, i in alliance] == [[world.a.unit2.pk]] * 3
    assert "区科普基地联盟" not in {name for _k, _i, name in services.unresolved_units(draft)}
    # A choice made on one task alone is kept when the name is resolved again.
    key, index = alliance[0]
    services.draft_choose_unit(actor=office, draft=draft, task_key=key, index=index, choice=str(world.a.unit.pk))
    services.draft_resolve_name(actor=office, draft=draft, name="区科普基地联盟", choice=services.SKIP)
    draft.refresh_from_db()
    assert [draft.matches[k][i]["choice"] for k, i in alliance] == [[world.a.unit.pk], [], []]


def test_resolving_refuses_an_unknown_name_or_organization(world, as_actor):
    office = as_actor(world.a.admin)
    draft = upload(office, "action_plan_2024_2026.txt")
    with pytest.raises(DomainError) as caught:
        services.draft_resolve_name(actor=office, draft=draft, name="区科普基地联盟", choice=str(world.b.unit.pk))
    assert caught.value.code == "invalid_choice"
    with pytest.raises(DomainError) as caught:
        services.draft_resolve_name(actor=office, draft=draft, name="不存在的单位", choice=services.SKIP)
    assert caught.value.code == "unknown_unit"
    with pytest.raises(DomainError) as caught:
        services.draft_resolve_name(actor=office, draft=draft, name="区科普基地联盟", choice="")
    assert caught.value.code == "invalid_choice"


def test_flipping_parts_and_bullets_changes_what_is_published(world, as_actor):
    office = as_actor(world.a.admin)
    draft = upload(office, "outline_2021_2035.txt")
    draft = services.draft_set_bullets(actor=office, draft=draft, as_tasks=False)
    assert len(services.task_keys(draft.data)) == 10
    draft = services.draft_set_role(actor=office, draft=draft, key="5", role="text")  # 重点工程: all text
    draft = services.draft_set_role(actor=office, draft=draft, key="3", role="task")  # the goals: supervised
    assert shown_targets(draft) == 11  # the same targets, wherever they now stand
    plan = publish(office, draft, 2021, 2035)
    assert list(plan.nodes.filter(kind=NodeKind.TASK).order_by("position").values_list("title", flat=True)) == [
        "发展目标",
        "青少年科学素质提升行动",
        "农民科学素质提升行动",
        "产业工人科学素质提升行动",
        "老年人科学素质提升行动",
        "领导干部和公务员科学素质提升行动",
    ]
    youth = plan.nodes.get(title="青少年科学素质提升行动")
    # The measures are folded into their project's text and targets.
    assert youth.text.count("——") == 3
    assert youth.targets.count() == 3
    assert Target.objects.filter(task__plan=plan).count() == 11
    assert plan.nodes.get(title="重点工程").kind == NodeKind.TEXT


def test_a_targets_period_is_confirmed_or_corrected_or_taken_out(world, as_actor):
    office = as_actor(world.a.admin)
    draft = upload(office, "science_plan_2024_2026.txt")
    draft = services.draft_set_target(actor=office, draft=draft, key="1.2.2", index=0, period=TargetPeriod.YEAR)
    draft = services.draft_set_target(
        actor=office, draft=draft, key="1.1.1", index=1, period=TargetPeriod.BY_YEAR, by_year=2025
    )
    draft = services.draft_set_target(actor=office, draft=draft, key="1.3.1", index=1, period=services.DROP)
    # Over the whole plan, after all: due when the plan ends, not by the year the paragraph named.
    draft = services.draft_set_target(actor=office, draft=draft, key="1.2.1", index=1, period=TargetPeriod.TOTAL)
    # A baseline of the preamble is made a target over the whole plan.
    draft = services.draft_set_target(actor=office, draft=draft, key="preamble", index=0, period=TargetPeriod.TOTAL)
    with pytest.raises(DomainError) as caught:
        services.draft_set_target(actor=office, draft=draft, key="1.1.1", index=0, period=TargetPeriod.BY_YEAR)
    assert caught.value.code == "year_required"
    with pytest.raises(DomainError) as caught:
        services.draft_set_target(actor=office, draft=draft, key="1.1.1", index=9, period=TargetPeriod.YEAR)
    assert caught.value.code == "unknown_node"
    with pytest.raises(DomainError):
        services.draft_set_target(actor=office, draft=draft, key="1.1.1", index=0, period="fortnight")
    plan = publish(office, draft, 2024, 2026)
    found = {(t.quantity, t.unit_of_measure): t for t in Target.objects.filter(task__plan=plan)}
    assert (found[1000, "篇"].period, found[1000, "篇"].due_date) == (TargetPeriod.YEAR, date(2026, 12, 31))
    assert (found[15, "家"].period, found[15, "家"].due_date) == (TargetPeriod.BY_YEAR, date(2025, 12, 31))
    assert (found[20, "个"].period, found[20, "个"].due_date) == (TargetPeriod.BY_YEAR, date(2026, 12, 31))
    assert (found[500, "场"].period, found[500, "场"].due_date) == (TargetPeriod.BY_YEAR, date(2027, 12, 31))
    assert (found[120, "种"].period, found[120, "种"].due_date) == (TargetPeriod.TOTAL, date(2026, 12, 31))
    assert (300, "人") not in found  # taken out: "其中专职人员不少于300人"
    assert found[720, "场"].task.kind == NodeKind.TEXT  # the preamble's, kept with the plan's text
    assert (350_000, "人次") not in found  # the other baseline stays a baseline
    assert len(found) == 9  # the plan's nine, less the one taken out, with the baseline made a target


def test_the_draft_proposes_the_years_of_its_title(world, as_actor, client):
    from kepu.core.testing.web import login

    office = as_actor(world.a.admin)
    draft = upload(office, "science_plan_2024_2026.txt")
    assert (draft.data["year"], draft.data["end_year"]) == (2024, 2026)
    page = login(client, world.a.admin).get(f"/plans/import/{draft.pk}/")
    form = page.context["form"]
    assert (form.initial["year"], form.initial["end_year"]) == (2024, 2026)


@pytest.mark.parametrize(("end_year", "ok"), [(2035, True), (2036, False)])
def test_a_plan_runs_at_most_fifteen_years(world, as_actor, end_year, ok):
    office = as_actor(world.a.admin)
    if ok:
        assert (
            services.plan_create(actor=office, title="纲要", year=2021, end_year=end_year).period_label == "2021–2035"
        )
        return
    with pytest.raises(DomainError) as caught:
        services.plan_create(actor=office, title="纲要", year=2021, end_year=end_year)
    assert caught.value.code == "invalid_period"


@pytest.mark.parametrize(
    ("data", "code"),
    [
        (
            "2024年某區科普工作要點\n一、加強科普能力建設，開展健康講座二十場。（責任單位：區衛健委）\n".encode("big5"),
            "unsupported_encoding",
        ),
        (("计划\n" + "".join(f"{n % 500 + 1}、开展活动。\n" for n in range(1001))).encode(), "too_many_parts"),
    ],
)
def test_big5_and_a_book_of_tasks_are_refused_with_a_message(world, as_actor, data, code):
    with pytest.raises(DomainError) as caught:
        services.draft_create(actor=as_actor(world.a.admin), data=data, filename="plan.txt")
    assert caught.value.code == code
    with translation.override("zh-hans"):
        assert str(caught.value.message).startswith(("文本文件是繁体中文", "文件中编号的条目"))
    assert ImportDraft.objects.count() == 0


def test_another_office_cannot_change_a_drafts_roles_targets_or_names(world, as_actor):
    draft = upload(as_actor(world.a.admin), "action_plan_2024_2026.txt")
    other = as_actor(world.b.admin)
    for call in (
        lambda: services.draft_set_role(actor=other, draft=draft, key="1", role="task"),
        lambda: services.draft_set_bullets(actor=other, draft=draft, as_tasks=True),
        lambda: services.draft_set_target(actor=other, draft=draft, key="1.3", index=0, period="year"),
        lambda: services.draft_resolve_name(actor=other, draft=draft, name="区科普基地联盟", choice="skip"),
    ):
        with pytest.raises(NotAllowed):
            call()
    draft.refresh_from_db()
    assert draft.data == upload(as_actor(world.a.admin), "action_plan_2024_2026.txt").data
