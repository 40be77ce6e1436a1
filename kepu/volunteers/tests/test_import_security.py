"""Imports create new people and invite existing ones; they attach nobody, reveal nothing, and stay bounded."""

import io
import re
import zipfile

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse
from openpyxl import load_workbook

from kepu.accounts import services as accounts
from kepu.accounts.models import Invitation, Membership, User
from kepu.core.actor import Actor
from kepu.core.errors import DomainError
from kepu.core.roles import Role
from kepu.notifications.models import Notification
from kepu.volunteers import imports, services
from kepu.volunteers.models import ImportJob, ImportStatus, JoinRequest, Volunteer
from kepu.volunteers.tests.factories import make_id_number, member_volunteer, register
from kepu.volunteers.tests.test_imports import id_for, workbook
from kepu.volunteers.tests.test_views import login

pytestmark = pytest.mark.django_db


def row(name, idn, phone):
    return [name, idn, phone, "", "", "", "", "", ""]


def run(actor, rows):
    return imports.import_file(actor=actor, kind="volunteers", source=io.BytesIO(workbook(rows)))


def test_an_import_never_attaches_an_existing_account_it_invites_it(world):
    office_user = world.b.admin.user  # a district office user of the other district
    before_name = office_user.name
    typed_id = id_for(77)
    result = run(world.a.team_staff, [row("冒名", typed_id, office_user.phone), row("新人", id_for(78), "13611112222")])
    assert result.error_count == 0
    # The office user holds no role in the team, no volunteer profile was made for them, their name is theirs.
    assert not Membership.objects.filter(user=office_user, organization=world.a.team).exists()
    assert not Volunteer.objects.filter(user=office_user).exists()
    assert User.objects.get(pk=office_user.pk).name == before_name
    # The ID number the uploader typed is stored nowhere: its real holder can still register with it.
    assert not Volunteer.objects.filter(id_index=services.id_index(typed_id)).exists()
    # The new person was created and joined.
    new = Volunteer.objects.get(real_name="新人")
    assert Membership.objects.filter(user=new.user, organization=world.a.team, is_active=True).exists()
    # The office user was invited, and told so in their inbox.
    invitation = Invitation.objects.get(user=office_user, organization=world.a.team, status="pending")
    assert Notification.objects.filter(recipient=office_user, kind="invitation").exists()
    # Someone else cannot answer it for them.
    with pytest.raises(DomainError):
        accounts.invitation_accept(actor=world.a.team_staff, invitation=invitation)
    # They accept only once they are a volunteer under their own name; then they are a member.
    office = Actor(user=office_user, membership=world.b.admin.membership)
    with pytest.raises(DomainError) as exc:
        accounts.invitation_accept(actor=office, invitation=invitation)
    assert exc.value.code == "volunteer_profile_required"
    register(office, real_name="本人")
    membership = accounts.invitation_accept(actor=office, invitation=invitation)
    assert membership.role == Role.VOLUNTEER and membership.organization == world.a.team and membership.is_active
    assert Volunteer.objects.get(user=office_user).real_name == "本人"


def test_a_registered_id_number_in_an_import_invites_its_holder_and_changes_nothing(world):
    holder, volunteer = member_volunteer(world.b.team, world.b.team_staff)
    result = run(world.a.team_staff, [row("别人", volunteer.id_number, "13622223333")])
    assert result.error_count == 0
    assert not User.objects.filter(phone_index=accounts.phone_index("13622223333")).exists()
    volunteer.refresh_from_db()
    assert volunteer.real_name != "别人" and volunteer.user_id == holder.user.pk
    assert Invitation.objects.filter(user=holder.user, organization=world.a.team, status="pending").exists()
    assert not Membership.objects.filter(user=holder.user, organization=world.a.team).exists()


def test_the_import_is_no_oracle_known_and_unknown_people_answer_alike(
    world, client, django_capture_on_commit_callbacks
):
    _holder, volunteer = member_volunteer(world.b.team, world.b.team_staff)
    known = [row("甲", volunteer.id_number, "13633334444"), row("乙", id_for(90), world.b.admin.user.phone)]
    unknown = [row("丙", id_for(91), "13644445555"), row("丁", id_for(92), "13655556666")]
    login(client, world.a.team_staff)
    pages = []
    for rows in (known, unknown):
        with django_capture_on_commit_callbacks(execute=True):
            r = client.post(
                reverse("volunteers:import", args=["volunteers"]),
                {"file": SimpleUploadedFile("v.xlsx", workbook(rows))},
            )
        job = ImportJob.objects.order_by("-pk").first()
        assert (job.status, job.imported, job.errors) == ("done", 2, [])
        fragment = client.get(r.url, HTTP_HX_REQUEST="true").content.decode()
        pages.append(re.sub(r"/imports/\d+/", "/imports/N/", fragment))
    assert pages[0] == pages[1]
    # Row checks speak of the row only.
    checked = imports.check_volunteers(io.BytesIO(workbook(known + [row("戊", "123", "1")])))
    messages = " ".join(m for e in checked.errors for m in e["errors"])
    assert "已" not in messages.replace("已在第", "") and "registered" not in messages


def test_the_template_has_no_person_in_it_and_the_old_sample_row_is_skipped(world):
    wb = load_workbook(io.BytesIO(imports.template_bytes("volunteers")))
    assert wb.worksheets[0].max_row == 1  # the header only
    result = imports.import_file(
        actor=world.a.team_staff,
        kind="volunteers",
        source=io.BytesIO(imports.template_bytes("volunteers")),
    )
    assert result.total == 0 and not Volunteer.objects.exists()
    # A template handed out before still had 张三 as its first row: he is an example, not a volunteer.
    result = run(world.a.team_staff, [imports.VOLUNTEER_SAMPLE, row("真人", id_for(5), "13666667777")])
    assert result.total == 1 and list(Volunteer.objects.values_list("real_name", flat=True)) == ["真人"]
    experts = imports.import_file(
        actor=world.a.admin, kind="experts", source=io.BytesIO(workbook([imports.EXPERT_SAMPLE], "experts"))
    )
    assert experts.total == 0


def test_a_rejected_applicants_id_number_is_not_theirs_to_reveal(world):
    applicant, volunteer = member_volunteer(world.b.team, world.b.team_staff)
    join = services.join_request_create(actor=applicant, volunteer=volunteer, organization=world.a.team)
    staff = world.a.team_staff
    with pytest.raises(DomainError):  # not while the request waits either: only members' numbers
        services.volunteer_reveal(actor=staff, volunteer=volunteer, field="id_number")
    services.join_request_decide(actor=staff, join_request=join, approve=False, reason="名额已满")
    with pytest.raises(DomainError):
        services.volunteer_reveal(actor=staff, volunteer=volunteer, field="id_number")
    from kepu.core.permissions import scope
    from kepu.volunteers.selectors import volunteer_list  # noqa: F401 - the list no longer shows them either

    assert not scope(staff, Volunteer.objects.filter(pk=volunteer.pk)).exists()
    # A member's number is revealed (and audited) as before.
    _m, member = member_volunteer(world.a.team, staff)
    assert services.volunteer_reveal(actor=staff, volunteer=member, field="id_number") == member.id_number
    assert JoinRequest.objects.get(pk=join.pk).status == "rejected"


def _raw_xlsx(sheet_xml: str, shared_xml: str | None = None) -> bytes:
    """A minimal .xlsx written by hand, for files no spreadsheet program would make."""
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as zf:
        zf.writestr(
            "xl/workbook.xml",
            '<workbook xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main" '
            'xmlns:r="http://schemas.openxmlformats.org/officeDocument/2006/relationships">'
            '<sheets><sheet name="v" sheetId="1" r:id="rId1"/></sheets></workbook>',
        )
        zf.writestr(
            "xl/_rels/workbook.xml.rels",
            '<Relationships xmlns="http://schemas.openxmlformats.org/package/2006/relationships">'
            '<Relationship Id="rId1" Type="worksheet" Target="worksheets/sheet1.xml"/></Relationships>',
        )
        zf.writestr("xl/worksheets/sheet1.xml", sheet_xml)
        if shared_xml is not None:
            zf.writestr("xl/sharedStrings.xml", shared_xml)
    return out.getvalue()


SHEET = (
    '<worksheet xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main"><sheetData>{}</sheetData></worksheet>'
)


def test_a_cell_at_column_zzzzz_does_not_grow_a_row():
    import tracemalloc

    from kepu.volunteers.xlsx import read_rows

    data = _raw_xlsx(
        SHEET.format(
            '<row r="1"><c r="A1" t="inlineStr"><is><t>a</t></is></c>'
            '<c r="ZZZZZ1" t="inlineStr"><is><t>far</t></is></c></row>'
        )
    )
    tracemalloc.start()
    rows = list(read_rows(io.BytesIO(data)))
    peak = tracemalloc.get_traced_memory()[1]
    tracemalloc.stop()
    assert rows == [["a"]] and peak < 5_000_000


def test_a_shared_strings_zip_bomb_is_refused_before_it_is_inflated(world):
    import tracemalloc

    bomb = (
        '<sst xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main">'
        + "<si><t>x</t></si>" * 20_000_000
        + "</sst>"
    )
    data = _raw_xlsx(SHEET.format(""), bomb)
    assert len(data) < 3_000_000  # a small upload ...
    tracemalloc.start()
    with pytest.raises(DomainError) as exc:
        imports.import_file(actor=world.a.team_staff, kind="volunteers", source=io.BytesIO(data))
    peak = tracemalloc.get_traced_memory()[1]
    tracemalloc.stop()
    assert exc.value.code == "archive_too_large" and peak < 50_000_000  # ... refused without unpacking it


def test_too_many_rows_and_too_many_shared_strings_are_refused(world, monkeypatch):
    from kepu.volunteers import xlsx

    monkeypatch.setattr(imports, "MAX_ROWS", 5)
    rows = [row(f"人{i}", id_for(i), f"136{i:08d}") for i in range(10)]
    with pytest.raises(DomainError) as exc:
        run(world.a.team_staff, rows)
    assert exc.value.code == "import_too_large" and not Volunteer.objects.exists()
    shared = (
        '<sst xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main">' + "<si><t>x</t></si>" * 50 + "</sst>"
    )
    with pytest.raises(xlsx.TooLarge):
        list(xlsx.read_rows(io.BytesIO(_raw_xlsx(SHEET.format(""), shared)), max_shared=10))


def _upload(client, actor, rows, capture):
    login(client, actor)
    with capture(execute=True):
        client.post(
            reverse("volunteers:import", args=["volunteers"]), {"file": SimpleUploadedFile("v.xlsx", workbook(rows))}
        )
    return ImportJob.objects.order_by("-pk").first()


def test_the_spreadsheet_is_deleted_when_the_job_ends(
    client, world, django_capture_on_commit_callbacks, settings, tmp_path
):
    settings.MEDIA_ROOT = tmp_path
    job = _upload(client, world.a.team_staff, [row("甲", id_for(1), "13677778888")], django_capture_on_commit_callbacks)
    assert job.status == "done" and not job.file
    assert not list((tmp_path / "volunteer-imports").glob("*"))
    job = _upload(client, world.a.team_staff, [row("乙", "bad", "13677778889")], django_capture_on_commit_callbacks)
    assert job.status == "failed" and not job.file
    assert not list((tmp_path / "volunteer-imports").glob("*"))
    # And no file of an import is ever served.
    assert client.get("/media/volunteer-imports/volunteers.xlsx").status_code == 404


def test_an_import_left_running_by_a_dead_worker_is_interrupted_and_can_be_run_again(
    client, world, django_capture_on_commit_callbacks, settings, tmp_path, monkeypatch
):
    settings.MEDIA_ROOT = tmp_path
    monkeypatch.setattr(imports, "_enqueue", lambda job: None)  # the worker never gets to it
    job = _upload(client, world.a.team_staff, [row("甲", id_for(1), "13677770000")], django_capture_on_commit_callbacks)
    ImportJob.objects.filter(pk=job.pk).update(status=ImportStatus.RUNNING)
    from django_tasks_db.models import DBTaskResult  # noqa: F401 - the worker's bookkeeping

    from kepu.core.worker import task_abandoned

    task_abandoned.send(sender=None, task_path="kepu.volunteers.tasks.run_import", args=[job.pk], kwargs={})
    job.refresh_from_db()
    assert job.status == ImportStatus.INTERRUPTED and job.file and not Volunteer.objects.exists()
    page = client.get(reverse("volunteers:import_job", args=[job.pk])).content.decode()
    assert reverse("volunteers:import_rerun", args=[job.pk]) in page
    # Someone else cannot rerun it.
    other = login(type(client)(), world.b.team_staff)
    assert other.post(reverse("volunteers:import_rerun", args=[job.pk])).status_code == 404
    monkeypatch.undo()
    with django_capture_on_commit_callbacks(execute=True):
        client.post(reverse("volunteers:import_rerun", args=[job.pk]))
    job.refresh_from_db()
    assert job.status == "done" and Volunteer.objects.get().real_name == "甲" and not job.file


def test_invitations_page_and_api_answer_for_the_person_only(client, world):
    from kepu.accounts.services import people_invite

    person = world.a.resident
    people_invite(actor=world.a.team_staff, organization=world.a.team, role=Role.VOLUNTEER, user_ids=[person.user.pk])
    invitation = Invitation.objects.get(user=person.user)
    login(client, person)
    page = client.get(reverse("accounts:invitations")).content.decode()
    assert world.a.team.display_name in page
    intruder = login(type(client)(), world.b.resident)
    assert intruder.get("/api/v1/people/invitations").json() == []
    assert intruder.post(f"/api/v1/people/invitations/{invitation.pk}/accept").status_code == 404
    assert intruder.post(reverse("accounts:invitation_answer", args=[invitation.pk, "decline"])).status_code == 404
    assert [i["id"] for i in client.get("/api/v1/people/invitations").json()] == [invitation.pk]
    r = client.post(f"/api/v1/people/invitations/{invitation.pk}/decline")
    assert r.status_code == 200
    invitation.refresh_from_db()
    assert invitation.status == "declined"
    assert not Membership.objects.filter(user=person.user, organization=world.a.team).exists()
    assert client.post(f"/api/v1/people/invitations/{invitation.pk}/accept").status_code == 404


def test_an_id_number_typed_wrongly_in_a_registration_still_reports_the_row(world):
    # Guard that the template's own example number is a valid ID (so skipping it is what saves it).
    from kepu.core.pii import normalize_id_number

    assert normalize_id_number(imports.VOLUNTEER_SAMPLE[1]) == imports.VOLUNTEER_SAMPLE[1]
    assert make_id_number(3)
