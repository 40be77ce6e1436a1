"""The web pages: the import flow, unit pages, supervision, evaluation, exports, and who is refused."""

import io

import pytest
from django.urls import reverse
from openpyxl import load_workbook

from kepu.core.testing.web import login
from kepu.plans import services
from kepu.plans.models import ImportDraft, NodeKind, Plan, ProgressReport
from kepu.plans.tests.factories import SAMPLE_PLAN, published_plan

pytestmark = pytest.mark.django_db


@pytest.fixture
def office(client, world):
    return login(client, world.a.admin)


def _upload(client, text=SAMPLE_PLAN, name="plan.txt"):
    from django.core.files.uploadedfile import SimpleUploadedFile

    return client.post(reverse("plans:import"), {"document": SimpleUploadedFile(name, text.encode())})


def test_import_flow_upload_correct_publish(office, world):
    response = _upload(office)
    draft = ImportDraft.objects.get()
    assert response.status_code == 302 and response.url == reverse("plans:draft", args=[draft.pk])
    page = office.get(response.url)
    html = page.content.decode()
    assert "区宣传局" in html and "2026年大兴区科普工作要点" in html  # the source beside the draft
    assert Plan.objects.count() == 0
    # Publishing with an unrecognized unit is refused with a clear message.
    refused = office.post(reverse("plans:draft_publish", args=[draft.pk]), {"title": "计划", "year": 2026})
    assert refused.status_code == 400 and "区宣传局" in refused.content.decode()
    assert Plan.objects.count() == 0
    key, index = "2.1", 1
    fragment = office.post(
        reverse("plans:draft_unit", args=[draft.pk]),
        {"key": key, "index": index, "choice": world.a.unit2.pk},
        HTTP_HX_REQUEST="true",
    )
    assert fragment.status_code == 200 and world.a.unit2.name in fragment.content.decode()
    assert "<html" not in fragment.content.decode()
    published = office.post(reverse("plans:draft_publish", args=[draft.pk]), {"title": "大兴计划", "year": 2026})
    plan = Plan.objects.get()
    assert published.status_code == 302 and published.url == reverse("plans:detail", args=[plan.pk])
    assert plan.title == "大兴计划"
    assert "大兴计划" in office.get(published.url).content.decode()


def test_bad_upload_shows_a_message_and_saves_nothing(office):
    response = _upload(office, text="hello", name="plan.txt")
    assert response.status_code == 400
    assert "工作计划" in response.content.decode() or "work plan" in response.content.decode()
    assert not ImportDraft.objects.exists()


def test_drafts_are_private_to_their_office(client, world):
    login(client, world.a.admin)
    _upload(client)
    draft = ImportDraft.objects.get()
    login(client, world.b.admin)
    assert client.get(reverse("plans:draft", args=[draft.pk])).status_code == 404
    assert client.post(reverse("plans:draft_publish", args=[draft.pk]), {"title": "x", "year": 2026}).status_code == 404
    login(client, world.a.unit_staff)
    assert client.get(reverse("plans:draft", args=[draft.pk])).status_code == 403
    assert client.get(reverse("plans:import")).status_code == 403


def test_unit_sees_its_tasks_and_reports(client, world, settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path
    plan = published_plan(world.a.admin)
    login(client, world.a.unit_staff)  # 区卫健委: lead of the first task only
    page = client.get(reverse("plans:my_tasks")).content.decode()
    first = plan.nodes.filter(kind=NodeKind.TASK).order_by("position")[0]
    other = plan.nodes.filter(kind=NodeKind.TASK).order_by("position")[1]
    assert first.title in page and other.title not in page
    assert client.get(reverse("plans:task", args=[other.pk])).status_code == 404
    from django.core.files.uploadedfile import SimpleUploadedFile

    response = client.post(
        reverse("plans:task_report", args=[first.pk]),
        {"text": "开展讲座5场", "percent": "30", "files": [SimpleUploadedFile("签到表.pdf", b"%PDF")]},
    )
    assert response.status_code == 302
    report = ProgressReport.objects.get()
    assert report.attachments.get().name == "签到表.pdf"
    detail = client.get(reverse("plans:task", args=[first.pk])).content.decode()
    assert "开展讲座5场" in detail and "签到表.pdf" in detail
    download = client.get(reverse("plans:attachment", args=[report.attachments.get().pk]))
    assert download.status_code == 200
    # Another district's unit cannot fetch the evidence.
    login(client, world.b.unit_staff)
    assert client.get(reverse("plans:attachment", args=[report.attachments.get().pk])).status_code == 404
    # Invalid report: message, nothing saved.
    login(client, world.a.unit_staff)
    bad = client.post(reverse("plans:task_report", args=[first.pk]), {"text": "", "percent": "130"})
    assert bad.status_code == 400 and ProgressReport.objects.count() == 1


def test_supervision_shows_status_and_reminds(office, world):
    plan = published_plan(world.a.admin)
    page = office.get(reverse("plans:supervision", args=[plan.pk]))
    html = page.content.decode()
    assert page.status_code == 200 and world.a.unit.name in html and "status-not_reported" in html
    task = plan.nodes.filter(kind=NodeKind.TASK).order_by("position")[0]
    reminded = office.post(reverse("plans:task_remind", args=[task.pk]), HTTP_HX_REQUEST="true")
    assert reminded.status_code == 200 and "<html" not in reminded.content.decode()


def test_offices_of_other_districts_and_other_roles_are_refused(client, world):
    plan = published_plan(world.a.admin)
    task = plan.nodes.filter(kind=NodeKind.TASK).first()
    login(client, world.b.admin)
    for name in ("plans:detail", "plans:supervision", "plans:evaluation", "plans:printable", "plans:export"):
        assert client.get(reverse(name, args=[plan.pk])).status_code == 404, name
    assert client.get(reverse("plans:task", args=[task.pk])).status_code == 404
    assert plan.title not in client.get(reverse("plans:list")).content.decode()
    for actor in (world.a.resident, world.a.team_staff, world.a.base_staff, world.a.community_staff):
        login(client, actor)
        assert client.get(reverse("plans:list")).status_code == 403
        assert client.get(reverse("plans:detail", args=[plan.pk])).status_code == 403
        assert client.get(reverse("plans:task", args=[task.pk])).status_code == 403
    login(client, world.a.unit_staff)
    assert client.get(reverse("plans:supervision", args=[plan.pk])).status_code == 403
    assert client.post(reverse("plans:task_edit", args=[task.pk]), {"budget": "1"}).status_code == 403
    login(client, world.city_admin)
    assert client.get(reverse("plans:detail", args=[plan.pk])).status_code == 200


def test_evaluation_basis_visible_to_the_unit_only_its_own(client, world):
    plan = published_plan(world.a.admin)
    login(client, world.a.unit_staff)
    html = client.get(reverse("plans:evaluation", args=[plan.pk])).content.decode()
    assert world.a.unit.name in html and world.a.unit2.name not in html
    assert "按时报送" in html or "on time" in html


def test_excel_export_and_printable(office, world):
    plan = published_plan(world.a.admin)
    response = office.get(reverse("plans:export", args=[plan.pk]))
    wb = load_workbook(io.BytesIO(response.content))
    assert len(wb.sheetnames) == 3
    rows = list(wb.worksheets[0].values)
    assert any("健康讲座" in str(r[1]) or "健康科普" in str(r[1]) for r in rows[1:])
    assert plan.title in office.get(reverse("plans:printable", args=[plan.pk])).content.decode()


def test_office_edits_task_and_sets_weights(office, world):
    plan = published_plan(world.a.admin)
    task = plan.nodes.filter(kind=NodeKind.TASK).first()
    response = office.post(
        reverse("plans:task_edit", args=[task.pk]),
        {
            "lead_unit": world.a.unit2.pk,
            "co_units": [world.a.unit.pk],
            "deadline": "2026-06-30",
            "weight": "2",
            "budget": "10",
            "spent": "4",
        },
    )
    assert response.status_code == 302
    task.refresh_from_db()
    assert task.lead_unit == world.a.unit2 and str(task.deadline) == "2026-06-30"
    response = office.post(reverse("plans:evaluation", args=[plan.pk]), {"targets": 40, "on_time": 40, "quality": 20})
    assert response.status_code == 302
    bad = office.post(reverse("plans:evaluation", args=[plan.pk]), {"targets": 40, "on_time": 40, "quality": 40})
    assert bad.status_code == 400


def test_plan_page_has_no_n_plus_one(office, world, django_assert_max_num_queries):
    plan = published_plan(
        world.a.admin, text=open("kepu/plans/tests/importer/data/xicheng_2020_work_plan.txt", encoding="utf-8").read()
    )
    with django_assert_max_num_queries(25):
        office.get(reverse("plans:detail", args=[plan.pk]))
    with django_assert_max_num_queries(25):
        office.get(reverse("plans:supervision", args=[plan.pk]))
    with django_assert_max_num_queries(30):
        office.get(reverse("plans:evaluation", args=[plan.pk]))


def test_office_changes_an_automatic_match_in_the_draft(office, world):
    _upload(office)
    draft = ImportDraft.objects.get()
    # 1.1's first unit 区卫健委 was matched automatically; the office says it means the 应急局.
    response = office.post(
        reverse("plans:draft_unit", args=[draft.pk]),
        {"key": "1.1", "index": 0, "choice": world.a.unit2.pk},
        HTTP_HX_REQUEST="true",
    )
    assert response.status_code == 200
    draft.refresh_from_db()
    assert draft.matches["1.1"][0]["choice"] == [world.a.unit2.pk]
    bad = office.post(
        reverse("plans:draft_unit", args=[draft.pk]),
        {"key": "1.1", "index": 0, "choice": world.b.unit.pk},
        HTTP_HX_REQUEST="true",
    )
    assert bad.status_code == 400  # another district's unit cannot be picked
    draft.refresh_from_db()
    assert draft.matches["1.1"][0]["choice"] == [world.a.unit2.pk]


def test_office_adds_a_target_and_a_milestone(office, world):
    plan = published_plan(world.a.admin)
    task = plan.nodes.filter(kind=NodeKind.TASK).order_by("position")[1]
    response = office.post(
        reverse("plans:task_add_target", args=[task.pk]),
        {"t-label": "宣传活动", "t-quantity": "12", "t-unit_of_measure": "场", "t-comparator": "≥"},
    )
    assert response.status_code == 302 and task.targets.get().quantity == 12
    response = office.post(
        reverse("plans:task_add_milestone", args=[task.pk]), {"m-title": "方案制定", "m-due_date": "2026-03-31"}
    )
    assert response.status_code == 302 and task.milestones.get().title == "方案制定"
    bad = office.post(reverse("plans:task_add_target", args=[task.pk]), {"t-label": "", "t-quantity": "x"})
    assert bad.status_code == 400 and task.targets.count() == 1


def test_street_office_sees_the_tasks_of_各街道(client, world):
    plan = published_plan(world.a.admin)
    login(client, world.a.street_staff)
    page = client.get(reverse("plans:my_tasks")).content.decode()
    first = plan.nodes.filter(kind=NodeKind.TASK).order_by("position")[0]
    assert first.title in page
    assert client.get(reverse("plans:evaluation", args=[plan.pk])).status_code == 200


def test_a_docx_plan_is_imported_too(office, world):
    from django.core.files.uploadedfile import SimpleUploadedFile
    from docx import Document

    document = Document()
    for line in SAMPLE_PLAN.strip().splitlines():
        document.add_paragraph(line)
    buffer = io.BytesIO()
    document.save(buffer)
    response = office.post(reverse("plans:import"), {"document": SimpleUploadedFile("要点.docx", buffer.getvalue())})
    draft = ImportDraft.objects.get()
    assert response.status_code == 302
    assert draft.matches["1.1"][0]["choice"] == [world.a.unit.pk]
    assert draft.data["title"] == "2026年大兴区科普工作要点"


def test_supervision_per_unit_and_reminding_one_unit(office, world, django_capture_on_commit_callbacks):
    from kepu.core.messaging import LocmemSmsBackend

    plan = published_plan(world.a.admin)
    html = office.get(reverse("plans:supervision", args=[plan.pk]), {"unit": world.a.unit.pk}).content.decode()
    first = plan.nodes.filter(kind=NodeKind.TASK).order_by("position")[0]
    second = plan.nodes.filter(kind=NodeKind.TASK).order_by("position")[1]
    assert first.title[:10] in html and second.title[:10] not in html
    with django_capture_on_commit_callbacks(execute=True):
        office.post(reverse("plans:task_remind", args=[first.pk]), {"organization": world.a.unit.pk})
    assert [m.to for m in LocmemSmsBackend.outbox] == [world.a.unit_staff.user.phone]


def test_office_edits_a_title_in_the_draft_and_it_is_published(office, world):
    _upload(office)
    draft = ImportDraft.objects.get()
    response = office.post(reverse("plans:draft_title", args=[draft.pk]), {"key": "1.2", "title": "防灾减灾宣传"})
    assert response.status_code == 302
    draft.refresh_from_db()
    assert draft.data["nodes"][0]["children"][1]["title"] == "防灾减灾宣传"
    login(office, world.b.admin)
    assert office.post(reverse("plans:draft_title", args=[draft.pk]), {"key": "1.2", "title": "x"}).status_code == 404
    login(office, world.a.admin)
    for key, index, _name in [("2.1", 1, "")]:
        office.post(reverse("plans:draft_unit", args=[draft.pk]), {"key": key, "index": index, "choice": "skip"})
    office.post(reverse("plans:draft_publish", args=[draft.pk]), {"title": "计划", "year": 2026})
    assert Plan.objects.get().nodes.filter(title="防灾减灾宣传").exists()


def test_another_office_cannot_pick_units_in_a_draft(client, world):
    login(client, world.a.admin)
    _upload(client)
    draft = ImportDraft.objects.get()
    login(client, world.b.admin)
    response = client.post(reverse("plans:draft_unit", args=[draft.pk]), {"key": "2.1", "index": 1, "choice": "skip"})
    assert response.status_code == 404
    assert client.post(reverse("plans:draft_discard", args=[draft.pk])).status_code == 404
    assert ImportDraft.objects.get().matches["2.1"][1]["choice"] is None


def test_office_binds_a_target_to_a_measure_on_the_web(office, world):
    from kepu.accounts.tests.factories import person
    from kepu.core.roles import Role

    plan = published_plan(world.a.admin)
    task = plan.nodes.filter(kind=NodeKind.TASK).order_by("position")[0]
    target = task.targets.get()
    response = office.post(
        reverse("plans:target_bind", args=[target.pk]),
        {"measure": "people.volunteers", "place": "110115", "organization": "", "theme": "", "year": ""},
    )
    assert response.status_code == 302
    target.refresh_from_db()
    assert (target.measure_key, target.measure_filters) == ("people.volunteers", {"place": "110115"})
    person(world.a.team, Role.VOLUNTEER)
    page = office.get(reverse("plans:task", args=[task.pk])).content.decode()
    assert "注册志愿者数" in page and "/accounts/people/?role=volunteer" in page
    login(office, world.b.admin)
    assert office.post(reverse("plans:target_bind", args=[target.pk]), {"measure": ""}).status_code == 404


def test_office_closes_and_reopens_a_plan_on_its_page(office, world):
    plan = published_plan(world.a.admin)
    page = office.get(reverse("plans:detail", args=[plan.pk])).content.decode()
    assert reverse("plans:close", args=[plan.pk]) in page
    office.post(reverse("plans:close", args=[plan.pk]))
    plan.refresh_from_db()
    assert plan.is_closed
    page = office.get(reverse("plans:detail", args=[plan.pk])).content.decode()
    assert "考评结果为最终结果" in page and reverse("plans:reopen", args=[plan.pk]) in page
    task = plan.nodes.filter(kind=NodeKind.TASK).order_by("position")[0]
    task_page = office.get(reverse("plans:task", args=[task.pk])).content.decode()
    assert reverse("plans:task_edit", args=[task.pk]) not in task_page  # nothing to change on a closed plan
    refused = office.post(reverse("plans:reopen", args=[plan.pk]), {"reason": ""})
    assert refused.status_code == 400
    plan.refresh_from_db()
    assert plan.is_closed
    office.post(reverse("plans:reopen", args=[plan.pk]), {"reason": "更正第三项任务的责任单位"})
    plan.refresh_from_db()
    assert not plan.is_closed


def test_others_cannot_close_a_plan(client, world):
    plan = published_plan(world.a.admin)
    for actor in (world.b.admin, world.a.unit_staff, world.a.resident):
        login(client, actor)
        response = client.post(reverse("plans:close", args=[plan.pk]))
        assert response.status_code in (403, 404)
        assert (
            reverse("plans:close", args=[plan.pk])
            not in client.get(reverse("plans:detail", args=[plan.pk])).content.decode()
        )
    plan.refresh_from_db()
    assert not plan.is_closed


def test_office_changes_the_lead_unit_in_the_draft(office, world):
    from kepu.orgs.models import Organization

    _upload(office)
    draft = ImportDraft.objects.get()
    page = office.get(reverse("plans:draft", args=[draft.pk])).content.decode()
    assert reverse("plans:draft_lead", args=[draft.pk]) in page
    # The unit named first leads unless the office says otherwise: it carries the tag, the others a button.
    assert 'data-testid="lead-1.1-0"' not in page and 'data-testid="lead-1.1-1"' in page
    # 1.1 names 区卫健委、区应急管理局、各街道: make the second the lead.
    fragment = office.post(
        reverse("plans:draft_lead", args=[draft.pk]), {"key": "1.1", "index": 1}, HTTP_HX_REQUEST="true"
    )
    html = fragment.content.decode()
    assert fragment.status_code == 200 and "<html" not in html
    draft.refresh_from_db()
    assert [row.get("lead") for row in draft.matches["1.1"]] == [False, True, False]
    # A group of organizations cannot lead; the draft is unchanged.
    bad = office.post(reverse("plans:draft_lead", args=[draft.pk]), {"key": "1.1", "index": 2})
    assert bad.status_code == 400
    draft.refresh_from_db()
    assert [row.get("lead") for row in draft.matches["1.1"]] == [False, True, False]

    for key, index, _name in services.unresolved_units(draft):
        office.post(reverse("plans:draft_unit", args=[draft.pk]), {"key": key, "index": index, "choice": "skip"})
    office.post(reverse("plans:draft_publish", args=[draft.pk]), {"title": "大兴计划", "year": 2026})
    task = Plan.objects.get().nodes.filter(kind=NodeKind.TASK).order_by("position")[0]
    emergency = Organization.objects.get(pk=draft.matches["1.1"][1]["choice"][0])
    health = Organization.objects.get(pk=draft.matches["1.1"][0]["choice"][0])
    assert task.lead_unit == emergency
    assert health in task.co_units.all() and emergency not in task.co_units.all()


def test_another_office_cannot_change_a_drafts_lead(client, world):
    login(client, world.a.admin)
    _upload(client)
    draft = ImportDraft.objects.get()
    login(client, world.b.admin)
    assert client.post(reverse("plans:draft_lead", args=[draft.pk]), {"key": "1.1", "index": 1}).status_code == 404
    login(client, world.a.unit_staff)
    assert client.post(reverse("plans:draft_lead", args=[draft.pk]), {"key": "1.1", "index": 1}).status_code == 403
    draft.refresh_from_db()
    assert not draft.matches["1.1"][1].get("lead")
