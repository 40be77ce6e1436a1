from datetime import date, timedelta
from decimal import Decimal

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse
from django.utils import timezone

from kepu.core.errors import DomainError, NotAllowed
from kepu.core.messaging import LocmemSmsBackend
from kepu.core.models import AuditEntry
from kepu.notifications.models import Notification
from kepu.plans import services
from kepu.plans.models import ImportDraft, NodeKind, Plan, PlanNode, ProgressReport
from kepu.plans.selectors import plan_progress
from kepu.plans.tests.factories import SAMPLE_PLAN, published_plan

pytestmark = pytest.mark.django_db


def test_upload_makes_a_draft_and_nothing_of_a_plan(world):
    draft = services.draft_create(actor=world.a.admin, data=SAMPLE_PLAN.encode(), filename="plan.txt")
    assert Plan.objects.count() == 0 and PlanNode.objects.count() == 0
    assert draft.data["title"] == "2026年大兴区科普工作要点"
    first = draft.matches["1.1"]
    by_part = {row["part"]: row for row in first}
    assert by_part["区卫健委"]["choice"] == [world.a.unit.pk]
    assert by_part["区应急管理局"]["choice"] == [world.a.unit2.pk]  # alias table: 应急管理局 = 应急局
    streets = set(by_part["各街道"]["choice"])
    assert streets == {world.a.street_office.pk, world.a.street2_office.pk}
    # Nothing from the other district is ever offered.
    assert world.b.unit.pk not in {
        c["organization_id"] for rows in draft.matches.values() for r in rows for c in r["candidates"]
    }


def test_publish_refuses_while_a_unit_is_unresolved_and_saves_nothing(world):
    draft = services.draft_create(actor=world.a.admin, data=SAMPLE_PLAN.encode(), filename="plan.txt")
    assert [name for _k, _i, name in services.unresolved_units(draft)] == ["区宣传局"]
    with pytest.raises(DomainError) as exc:
        services.plan_publish(actor=world.a.admin, draft=draft, title="计划", year=2026)
    assert exc.value.code == "units_unresolved"
    assert Plan.objects.count() == 0 and PlanNode.objects.count() == 0


def test_correct_a_match_then_publish_builds_the_tree(world):
    draft = services.draft_create(actor=world.a.admin, data=SAMPLE_PLAN.encode(), filename="plan.txt")
    key, index, _ = services.unresolved_units(draft)[0]
    services.draft_choose_unit(
        actor=world.a.admin, draft=draft, task_key=key, index=index, choice=str(world.a.unit2.pk)
    )
    plan = services.plan_publish(actor=world.a.admin, draft=draft, title="2026年大兴区科普工作要点", year=2026)
    assert not ImportDraft.objects.exists()
    assert plan.owner == world.a.office and plan.source_text.startswith("2026年大兴区科普工作要点")
    tasks = list(plan.nodes.filter(kind=NodeKind.TASK).order_by("position"))
    assert len(tasks) == 3
    assert tasks[0].lead_unit == world.a.unit
    assert set(tasks[0].co_units.all()) == {world.a.unit2, world.a.street_office, world.a.street2_office}
    target = tasks[0].targets.get()
    assert (target.quantity, target.unit_of_measure, target.comparator) == (Decimal("20"), "场", "≥")
    last = tasks[2]
    assert last.lead_unit == world.a.office and list(last.co_units.all()) == [world.a.unit2]
    assert last.targets.get().quantity == 800
    assert AuditEntry.objects.filter(action="kepu.plans.plan_published", object_id=str(plan.pk)).exists()


def test_only_the_district_office_imports(world):
    for actor in (world.a.unit_staff, world.a.street_staff, world.city_admin, world.a.resident):
        with pytest.raises(NotAllowed):
            services.draft_create(actor=actor, data=SAMPLE_PLAN.encode(), filename="plan.txt")


def test_another_office_cannot_touch_a_draft(world):
    draft = services.draft_create(actor=world.a.admin, data=SAMPLE_PLAN.encode(), filename="plan.txt")
    with pytest.raises(NotAllowed):
        services.plan_publish(actor=world.b.admin, draft=draft, title="x", year=2026)


@pytest.mark.parametrize(
    "data,name,code",
    [
        (b"", "plan.txt", "empty_input"),
        (b"just some words", "plan.txt", "not_a_plan"),
        (b"%PDF-1.4", "plan.pdf", "unsupported_format"),
    ],
)
def test_bad_uploads_are_refused_with_a_code(world, data, name, code):
    with pytest.raises(DomainError) as exc:
        services.draft_create(actor=world.a.admin, data=data, filename=name)
    assert exc.value.code == code
    assert not ImportDraft.objects.exists()


def test_unit_reports_with_attachment_and_progress_moves(world):
    plan = published_plan(world.a.admin)
    task = plan.nodes.filter(kind=NodeKind.TASK).order_by("position")[1]  # 防灾减灾, no target, lead 区应急局
    from kepu.accounts.tests.factories import person
    from kepu.core.roles import Role

    staff = person(world.a.unit2, Role.UNIT_STAFF)
    evidence = SimpleUploadedFile("照片.jpg", b"jpeg-bytes", content_type="image/jpeg")
    report = services.report_create(actor=staff, task=task, text="开展宣传3次", percent=40, files=[evidence])
    assert report.attachments.get().name == "照片.jpg"
    view = plan_progress(plan)
    node = next(n for n in view.tasks if n.node.pk == task.pk)
    assert node.percent == 40
    assert AuditEntry.objects.filter(action="kepu.plans.progress_reported", object_id=str(report.pk)).exists()


def test_a_unit_cannot_report_on_someone_elses_task(world):
    plan = published_plan(world.a.admin)
    task = plan.nodes.filter(kind=NodeKind.TASK).order_by("position")[1]  # only 区应急局
    with pytest.raises(NotAllowed):
        services.report_create(actor=world.a.unit_staff, task=task, text="x", percent=10)
    with pytest.raises(NotAllowed):
        services.report_create(actor=world.b.unit_staff, task=task, text="x", percent=10)


def test_report_validation(world):
    plan = published_plan(world.a.admin)
    task = plan.nodes.filter(kind=NodeKind.TASK).order_by("position")[0]
    for kwargs, code in (
        ({"text": ""}, "text_required"),
        ({"text": "x", "percent": 120}, "invalid_percent"),
        ({"text": "x", "percent": "abc"}, "invalid_number"),
        ({"text": "x", "value": 3}, "target_required"),
    ):
        with pytest.raises(DomainError) as exc:
            services.report_create(actor=world.a.unit_staff, task=task, **kwargs)
        assert exc.value.code == code
    assert not ProgressReport.objects.exists()


def test_target_value_report_counts_towards_the_target(world):
    plan = published_plan(world.a.admin)
    task = plan.nodes.filter(kind=NodeKind.TASK).order_by("position")[0]
    target = task.targets.get()  # 20 场
    services.report_create(actor=world.a.unit_staff, task=task, text="讲座", target=target, value=5)
    node = next(n for n in plan_progress(plan).tasks if n.node.pk == task.pk)
    assert node.targets[0].current == 5 and node.percent == 25


def test_task_update_and_budget_are_audited(world):
    plan = published_plan(world.a.admin)
    task = plan.nodes.filter(kind=NodeKind.TASK).first()
    services.task_update(
        actor=world.a.admin, task=task, deadline=date(2026, 6, 30), weight="2", budget="12.5", spent="3"
    )
    task.refresh_from_db()
    assert (task.deadline, task.weight, task.budget, task.spent) == (date(2026, 6, 30), 2, Decimal("12.5"), 3)
    entry = AuditEntry.objects.get(action="kepu.plans.task_changed")
    assert entry.data["budget"] == [None, "12.5"]
    with pytest.raises(NotAllowed):
        services.task_update(actor=world.a.unit_staff, task=task, budget="1")
    with pytest.raises(NotAllowed):
        services.task_update(actor=world.b.admin, task=task, budget="1")


def test_reminder_reaches_the_units_staff_in_the_inbox_and_by_sms(world, django_capture_on_commit_callbacks):
    plan = published_plan(world.a.admin)
    task = plan.nodes.filter(kind=NodeKind.TASK).order_by("position")[0]
    with django_capture_on_commit_callbacks(execute=True):
        sent = services.reminder_send(actor=world.a.admin, task=task, organization_id=world.a.unit.pk)
    assert sent == 1
    assert [m.to for m in LocmemSmsBackend.outbox] == [world.a.unit_staff.user.phone]
    inbox = Notification.objects.get(recipient=world.a.unit_staff.user)
    assert inbox.kind == "plan_reminder" and inbox.url == reverse("plans:task", args=[task.pk])
    assert task.title[:40] in inbox.body
    # Nobody outside the unit hears of it.
    assert Notification.objects.count() == 1
    assert AuditEntry.objects.filter(action="kepu.plans.reminder_sent").exists()


def test_flag_overdue_once(world, django_capture_on_commit_callbacks):
    plan = published_plan(world.a.admin)
    task = plan.nodes.filter(kind=NodeKind.TASK).order_by("position")[0]
    services.task_update(actor=world.a.admin, task=task, deadline=date(2026, 3, 1))
    with django_capture_on_commit_callbacks(execute=True):
        flagged = services.flag_overdue(today=date(2026, 3, 2))
    assert flagged == [task.pk]
    assert services.flag_overdue(today=date(2026, 3, 3)) == []
    assert AuditEntry.objects.filter(action="kepu.plans.task_overdue").count() == 1
    assert any(m.to == world.a.unit_staff.user.phone for m in LocmemSmsBackend.outbox)
    assert Notification.objects.filter(recipient=world.a.unit_staff.user, kind="plan_reminder").count() == 1


def test_quality_mark_only_by_the_owner_office(world):
    plan = published_plan(world.a.admin)
    task = plan.nodes.filter(kind=NodeKind.TASK).order_by("position")[0]
    report = services.report_create(actor=world.a.unit_staff, task=task, text="x", percent=10)
    services.report_mark(actor=world.a.admin, report=report, mark=4)
    report.refresh_from_db()
    assert report.quality_mark == 4
    with pytest.raises(NotAllowed):
        services.report_mark(actor=world.a.unit_staff, report=report, mark=5)
    with pytest.raises(DomainError):
        services.report_mark(actor=world.a.admin, report=report, mark=9)


def test_weights_must_add_up(world):
    plan = published_plan(world.a.admin)
    with pytest.raises(DomainError):
        services.plan_set_weights(actor=world.a.admin, plan=plan, targets=50, on_time=30, quality=30)
    services.plan_set_weights(actor=world.a.admin, plan=plan, targets=60, on_time=20, quality=20)
    plan.refresh_from_db()
    assert plan.score_weights == {"targets": 60, "on_time": 20, "quality": 20}


def test_late_report_is_not_on_time(world, monkeypatch):
    plan = published_plan(world.a.admin)
    task = plan.nodes.filter(kind=NodeKind.TASK).order_by("position")[0]
    services.task_update(actor=world.a.admin, task=task, deadline=timezone.localdate() - timedelta(days=1))
    report = services.report_create(actor=world.a.unit_staff, task=task, text="x", percent=10)
    assert report.on_time is False


def test_evaluation_scores_and_basis(world):
    from kepu.plans.evaluation import evaluate

    plan = published_plan(world.a.admin)
    task = plan.nodes.filter(kind=NodeKind.TASK).order_by("position")[0]  # target 20 场, lead 区卫健委
    report = services.report_create(
        actor=world.a.unit_staff, task=task, text="讲座", target=task.targets.get(), value=20
    )
    services.report_mark(actor=world.a.admin, report=report, mark=4)
    scores = {s.organization.pk: s for s in evaluate(plan_progress(plan))}
    health = scores[world.a.unit.pk]
    parts = {p.code: p for p in health.parts}
    assert parts["targets"].points == 50 and "1" in parts["targets"].basis
    assert parts["on_time"].points == 30
    assert parts["quality"].points == 16
    assert health.total == 96
    street = scores[world.a.street_office.pk]  # co-unit of the same task, never reported, never marked
    assert {p.code: p.points for p in street.parts} == {"targets": 50, "on_time": 0, "quality": 0}


def test_the_overdue_flagging_is_scheduled():
    from kepu.core.scheduler import periodic_tasks
    from kepu.plans.tasks import flag_overdue_tasks

    assert any(p.task is flag_overdue_tasks for p in periodic_tasks())


def test_the_office_reports_on_tasks_it_is_responsible_for(world):
    plan = published_plan(world.a.admin)
    own = plan.nodes.filter(kind=NodeKind.TASK).order_by("position")[2]  # 区科协 leads it
    other = plan.nodes.filter(kind=NodeKind.TASK).order_by("position")[0]
    services.report_create(actor=world.a.admin, task=own, text="筹备中", percent=10)
    with pytest.raises(NotAllowed):
        services.report_create(actor=world.a.admin, task=other, text="x", percent=10)
