"""Building a plan by hand: an empty plan over one year or several, sections and tasks added and removed."""

from datetime import date

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse

from kepu.core.errors import DomainError, NotAllowed, NotFound
from kepu.core.models import AuditEntry
from kepu.core.testing.web import login
from kepu.plans import services
from kepu.plans.models import NodeKind, Plan, PlanNode
from kepu.plans.selectors import plan_progress
from kepu.plans.tests.factories import SAMPLE_PLAN, published_plan

pytestmark = pytest.mark.django_db


def test_an_office_starts_an_empty_plan_over_several_years(world, as_actor):
    office = as_actor(world.a.admin)
    plan = services.plan_create(actor=office, title=" 科普工作规划 ", year=2026, end_year=2030)
    assert (plan.title, plan.period_start, plan.period_end, plan.period_label) == (
        "科普工作规划",
        date(2026, 1, 1),
        date(2030, 12, 31),
        "2026–2030",
    )
    assert plan.place == world.a.admin.organization.place
    assert AuditEntry.objects.filter(action="kepu.plans.plan_created", object_id=str(plan.pk)).exists()
    one = services.plan_create(actor=office, title="年度要点", year=2027)
    assert (one.period_end, one.period_label) == (date(2027, 12, 31), "2027")


@pytest.mark.parametrize(
    ("title", "year", "end_year", "code"),
    [
        ("", 2026, None, "title_required"),
        ("要点", 1999, None, "year_required"),
        ("要点", 2026, 2025, "invalid_period"),
        ("要点", 2026, 2041, "invalid_period"),  # 16 years: longer than an outline's fifteen
    ],
)
def test_a_bad_period_or_title_creates_nothing(world, as_actor, title, year, end_year, code):
    with pytest.raises(DomainError) as exc:
        services.plan_create(actor=as_actor(world.a.admin), title=title, year=year, end_year=end_year)
    assert exc.value.code == code and Plan.objects.count() == 0


def test_only_a_district_office_starts_a_plan(world, as_actor):
    for m in (world.a.unit_staff, world.a.street_staff, world.a.resident, world.city_admin):
        with pytest.raises(NotAllowed):
            services.plan_create(actor=as_actor(m), title="要点", year=2026)
    assert Plan.objects.count() == 0


def test_publishing_a_draft_over_several_years_dates_its_targets_at_the_end(world, as_actor):
    office = as_actor(world.a.admin)
    draft = services.draft_create(actor=office, data=SAMPLE_PLAN.encode(), filename="plan.txt")
    for key, index, _name in services.unresolved_units(draft):
        draft = services.draft_choose_unit(actor=office, draft=draft, task_key=key, index=index, choice="skip")
    plan = services.plan_publish(actor=office, draft=draft, title="规划", year=2026, end_year=2028)
    assert plan.period_end == date(2028, 12, 31)
    due = {t.due_date for n in plan.nodes.all() for t in n.targets.all()}
    assert due == {date(2028, 12, 31)}


def test_sections_and_tasks_are_added_in_order_and_count_in_progress(world, as_actor):
    office = as_actor(world.a.admin)
    plan = services.plan_create(actor=office, title="要点", year=2026)
    section = services.node_add(actor=office, plan=plan, kind=NodeKind.SECTION, marker="一、", title="加强能力建设")
    first = services.node_add(
        actor=office,
        plan=plan,
        kind=NodeKind.TASK,
        parent=section,
        marker="（一）",
        title="开展讲座",
        lead_unit_id=world.a.unit.pk,
        deadline=date(2026, 6, 30),
    )
    services.node_add(actor=office, plan=plan, kind=NodeKind.SECTION, marker="二、", title="品牌活动")
    second = services.node_add(
        actor=office, plan=plan, kind=NodeKind.TASK, parent=section, marker="（二）", title="做好宣传"
    )
    view = plan_progress(plan)
    assert [(n.node.marker, n.depth) for n in view.nodes] == [("一、", 0), ("（一）", 1), ("（二）", 1), ("二、", 0)]
    first.refresh_from_db()
    assert (first.lead_unit_id, first.deadline) == (world.a.unit.pk, date(2026, 6, 30))
    services.report_create(actor=as_actor(world.a.unit_staff), task=first, text="办了两场", percent=50)
    section_view = next(n for n in plan_progress(plan).nodes if n.node.pk == section.pk)
    assert section_view.progress == pytest.approx(0.25)  # (50 % + 0 %) / 2
    assert second.position > first.position


def test_a_task_cannot_take_children_nor_join_another_plan(world, as_actor):
    office = as_actor(world.a.admin)
    plan = services.plan_create(actor=office, title="要点", year=2026)
    other = services.plan_create(actor=office, title="另一个", year=2026)
    task = services.node_add(actor=office, plan=plan, kind=NodeKind.TASK, title="任务")
    foreign = services.node_add(actor=office, plan=other, kind=NodeKind.SECTION, title="别的部分")
    for parent in (task, foreign):
        with pytest.raises(DomainError) as exc:
            services.node_add(actor=office, plan=plan, kind=NodeKind.TASK, title="子任务", parent=parent)
        assert exc.value.code == "invalid_parent"
    with pytest.raises(DomainError):
        services.node_add(actor=office, plan=plan, kind=NodeKind.TASK, title="  ")
    assert plan.nodes.count() == 1


def test_nobody_else_adds_to_a_plan_and_a_closed_plan_takes_nothing(world, as_actor):
    plan = published_plan(as_actor(world.a.admin))
    for m in (world.b.admin, world.a.unit_staff, world.city_admin):
        with pytest.raises((NotAllowed, NotFound)):
            services.node_add(actor=as_actor(m), plan=plan, kind=NodeKind.TASK, title="插一条")
    services.plan_close(actor=as_actor(world.a.admin), plan=plan)
    with pytest.raises(DomainError):
        services.node_add(actor=as_actor(world.a.admin), plan=plan, kind=NodeKind.TASK, title="插一条")
    assert not plan.nodes.filter(title="插一条").exists()


def test_a_task_is_removed_only_while_nobody_reported_on_it(world, as_actor):
    office = as_actor(world.a.admin)
    plan = published_plan(office)
    tasks = list(plan.nodes.filter(kind=NodeKind.TASK).order_by("position"))
    services.report_create(actor=as_actor(world.a.unit_staff), task=tasks[0], text="进展", percent=10)
    with pytest.raises(DomainError) as exc:
        services.node_remove(actor=office, node=tasks[0])
    assert exc.value.code == "task_has_reports"
    section = tasks[0].parent
    with pytest.raises(DomainError) as exc:
        services.node_remove(actor=office, node=section)
    assert exc.value.code == "section_not_empty"
    with pytest.raises((NotAllowed, NotFound)):
        services.node_remove(actor=as_actor(world.b.admin), node=tasks[1])
    services.node_remove(actor=office, node=tasks[1])
    assert not PlanNode.objects.filter(pk=tasks[1].pk).exists()
    entry = AuditEntry.objects.get(action="kepu.plans.node_removed")
    assert entry.data["title"] == tasks[1].title


# --- Web ---------------------------------------------------------------------------------------
def test_the_office_builds_a_plan_on_the_web(client, world):
    login(client, world.a.admin)
    assert "新建空白计划" in client.get(reverse("plans:list")).content.decode()
    bad = client.post(reverse("plans:new"), {"title": "规划", "year": 2026, "end_year": 2020})
    assert bad.status_code == 400 and Plan.objects.count() == 0
    assert "最后一年" in bad.content.decode()
    response = client.post(reverse("plans:new"), {"title": "规划", "year": 2026, "end_year": 2030})
    plan = Plan.objects.get()
    assert response.url == reverse("plans:detail", args=[plan.pk])
    page = client.get(response.url).content.decode()
    assert "2026–2030" in page and "添加部分或任务" in page
    client.post(
        reverse("plans:node_add", args=[plan.pk]), {"n-kind": "section", "n-marker": "一、", "n-title": "能力建设"}
    )
    section = plan.nodes.get()
    added = client.post(
        reverse("plans:node_add", args=[plan.pk]),
        {"n-kind": "task", "n-parent": section.pk, "n-title": "开展讲座", "n-lead_unit": world.a.unit.pk},
    )
    assert added.status_code == 302
    task = plan.nodes.get(kind=NodeKind.TASK)
    assert task.parent == section and task.lead_unit_id == world.a.unit.pk
    assert "开展讲座" in client.get(reverse("plans:detail", args=[plan.pk])).content.decode()
    empty = client.post(reverse("plans:node_add", args=[plan.pk]), {"n-kind": "task", "n-title": ""})
    assert empty.status_code == 400 and plan.nodes.count() == 2
    edited = client.post(reverse("plans:task_edit", args=[task.pk]), {"title": "开展健康讲座", "text": "全年20场"})
    assert edited.status_code == 302
    task.refresh_from_db()
    assert (task.title, task.text) == ("开展健康讲座", "全年20场")
    assert "移除任务" in client.get(reverse("plans:task", args=[task.pk])).content.decode()
    client.post(reverse("plans:node_remove", args=[task.pk]))
    assert not plan.nodes.filter(kind=NodeKind.TASK).exists()


def test_others_cannot_build_or_remove_on_the_web(client, world, as_actor):
    plan = published_plan(as_actor(world.a.admin))
    task = plan.nodes.filter(kind=NodeKind.TASK).first()
    login(client, world.b.admin)
    assert client.post(reverse("plans:node_add", args=[plan.pk]), {"n-kind": "task", "n-title": "x"}).status_code == 404
    assert client.post(reverse("plans:node_remove", args=[task.pk])).status_code == 404
    for m in (world.a.unit_staff, world.a.resident):
        login(client, m)
        assert client.get(reverse("plans:new")).status_code == 403
        assert client.post(reverse("plans:node_remove", args=[task.pk])).status_code == 403
    assert PlanNode.objects.filter(pk=task.pk).exists() and not plan.nodes.filter(title="x").exists()


# --- API ---------------------------------------------------------------------------------------
def _json(client, method, url, data=None):
    return getattr(client, method)(url, data or {}, content_type="application/json")


def test_the_office_does_everything_through_the_api(client, world):
    login(client, world.a.admin)
    created = _json(client, "post", "/api/v1/plans/", {"title": "规划", "year": 2026, "end_year": 2027})
    assert created.status_code == 201 and created.json()["period_end"] == "2027-12-31"
    plan_id = created.json()["id"]
    section = _json(client, "post", f"/api/v1/plans/{plan_id}/nodes", {"kind": "section", "title": "能力建设"}).json()
    task = _json(
        client,
        "post",
        f"/api/v1/plans/{plan_id}/nodes",
        {"title": "开展讲座", "parent_id": section["id"], "lead_unit_id": world.a.unit.pk},
    )
    assert task.status_code == 201 and task.json()["parent_id"] == section["id"]
    task_id = task.json()["id"]
    patched = _json(client, "patch", f"/api/v1/plans/tasks/{task_id}", {"weight": "2", "budget": "5.5"})
    assert patched.status_code == 200 and float(patched.json()["weight"]) == 2
    assert PlanNode.objects.get(pk=task_id).lead_unit_id == world.a.unit.pk  # untouched
    with_target = _json(
        client,
        "post",
        f"/api/v1/plans/tasks/{task_id}/targets",
        {"label": "讲座", "quantity": "20", "unit_of_measure": "场"},
    )
    assert with_target.status_code == 201
    target_id = with_target.json()["targets"][0]["id"]
    bound = _json(
        client,
        "post",
        f"/api/v1/plans/targets/{target_id}/bind",
        {"measure": "people.volunteers", "filters": {"year": "2026"}},
    )
    assert bound.status_code == 200 and bound.json()["targets"][0]["measure"] == "people.volunteers"
    unknown = _json(client, "post", f"/api/v1/plans/targets/{target_id}/bind", {"measure": "no.such"})
    assert unknown.status_code == 400 and unknown.json()["code"] == "unknown_measure"
    assert (
        _json(
            client, "post", f"/api/v1/plans/tasks/{task_id}/milestones", {"title": "上半年", "due_date": "2026-06-30"}
        ).status_code
        == 201
    )
    sent = _json(client, "post", f"/api/v1/plans/tasks/{task_id}/remind")
    assert sent.status_code == 200 and sent.json()["sent"] >= 1
    login(client, world.a.unit_staff)
    report = _json(client, "post", f"/api/v1/plans/tasks/{task_id}/reports", {"text": "办了", "percent": "40"})
    login(client, world.a.admin)
    marked = _json(client, "post", f"/api/v1/plans/reports/{report.json()['id']}/mark", {"mark": 4})
    assert marked.status_code == 200 and marked.json()["quality_mark"] == 4
    bad_mark = _json(client, "post", f"/api/v1/plans/reports/{report.json()['id']}/mark", {"mark": 9})
    assert bad_mark.status_code == 400
    assert client.delete(f"/api/v1/plans/nodes/{task_id}").status_code == 409  # reported on: it stays
    empty = _json(client, "post", f"/api/v1/plans/{plan_id}/nodes", {"title": "临时"}).json()
    assert client.delete(f"/api/v1/plans/nodes/{empty['id']}").status_code == 204


def test_import_through_the_api(client, world):
    login(client, world.a.admin)
    response = client.post("/api/v1/plans/drafts", {"document": SimpleUploadedFile("plan.txt", SAMPLE_PLAN.encode())})
    assert response.status_code == 201
    draft = response.json()
    assert len(draft["tasks"]) == 3 and "区宣传局" in draft["unresolved"]
    refused = _json(client, "post", f"/api/v1/plans/drafts/{draft['id']}/publish", {"title": "要点", "year": 2026})
    assert refused.status_code == 400 and refused.json()["code"] == "units_unresolved"
    for task in draft["tasks"]:
        for unit in task["units"]:
            if unit["choice"] is None:
                fixed = _json(
                    client,
                    "post",
                    f"/api/v1/plans/drafts/{draft['id']}/units",
                    {"key": task["key"], "index": unit["index"], "choice": "skip"},
                )
                assert fixed.status_code == 200
    assert client.get(f"/api/v1/plans/drafts/{draft['id']}").json()["unresolved"] == []
    published = _json(client, "post", f"/api/v1/plans/drafts/{draft['id']}/publish", {"title": "要点", "year": 2026})
    assert published.status_code == 201 and Plan.objects.get().title == "要点"
    bad = client.post("/api/v1/plans/drafts", {"document": SimpleUploadedFile("plan.txt", b"hello")})
    assert bad.status_code == 400 and bad.json()["message"]


def test_the_api_refuses_everybody_else(client, world, as_actor):
    plan = published_plan(as_actor(world.a.admin))
    task = plan.nodes.filter(kind=NodeKind.TASK).first()
    office_draft = services.draft_create(actor=as_actor(world.a.admin), data=SAMPLE_PLAN.encode(), filename="p.txt")
    for m in (world.b.admin, world.a.unit_staff, world.a.resident):
        login(client, m)
        assert _json(client, "post", f"/api/v1/plans/{plan.pk}/nodes", {"title": "x"}).status_code in (403, 404)
        assert _json(client, "patch", f"/api/v1/plans/tasks/{task.pk}", {"title": "x"}).status_code in (403, 404)
        assert client.delete(f"/api/v1/plans/nodes/{task.pk}").status_code in (403, 404)
        assert _json(client, "post", f"/api/v1/plans/tasks/{task.pk}/remind").status_code in (403, 404)
        assert client.get(f"/api/v1/plans/drafts/{office_draft.pk}").status_code in (403, 404)
        if m is not world.b.admin:  # another district's office starts plans of its own, not these people
            assert _json(client, "post", "/api/v1/plans/", {"title": "x", "year": 2026}).status_code in (403, 404)
    task.refresh_from_db()
    assert task.title != "x" and not Plan.objects.filter(title="x").exists()
