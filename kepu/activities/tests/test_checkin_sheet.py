"""The offline check-in list in Excel: what the file shows, and an import that is all or nothing and idempotent."""

import io
from datetime import date

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse
from openpyxl import Workbook, load_workbook

from kepu.activities import checkin_sheet, selectors, services
from kepu.activities.models import Registration, WalkIn
from kepu.activities.tests.factories import after_the_session, at_the_door, published_activity, residents
from kepu.core.errors import DomainError, NotAllowed
from kepu.core.testing.web import login

pytestmark = pytest.mark.django_db


@pytest.fixture
def door(world):
    """A published activity with two sessions; three residents and a group signed up for the first."""
    staff = world.a.unit_staff
    activity = published_activity(staff, capacity=20, sessions=2)
    first, second = activity.sessions.order_by("starts_at")
    people = residents(world, 3)
    regs = [services.registration_create(actor=p, session=first) for p in people]
    group = services.registration_create(
        actor=staff, session=first, on_behalf=True, name="三年级二班", head_count=12, population="youth"
    )
    other = services.registration_create(actor=world.b.resident, session=second)
    with at_the_door(first):  # the list is brought back while the session's check-in is open
        yield staff, activity, first, regs, group, other


def _book(content):
    return load_workbook(io.BytesIO(content))


def _mark(content, tickets, walk_ins=None, edit=None):
    """The exported file with "1" in the Came column for ``tickets`` and walk-ins by population code."""
    wb = _book(content)
    ws = wb.worksheets[0]
    for row in ws.iter_rows(min_row=checkin_sheet.HEADER_ROW + 1):
        if row[0].value in tickets:
            row[7].value = 1
    for row in wb.worksheets[1].iter_rows(min_row=checkin_sheet.WALK_IN_HEADER_ROW + 1):
        if walk_ins and row[2].value in walk_ins:
            row[1].value = walk_ins[row[2].value]
    if edit:
        edit(wb)
    out = io.BytesIO()
    wb.save(out)
    return out.getvalue()


def _figures(staff, activity):
    return selectors.figures(actor=staff, date_from=date(2000, 1, 1), date_to=date(2100, 1, 1), activity_id=activity.pk)


def test_the_list_masks_names_and_phones_and_lists_only_the_session(door):
    staff, activity, first, regs, group, other = door
    wb = _book(services.checkin_sheet_export(actor=staff, activity=activity, session=first))
    rows = [r for r in wb.worksheets[0].iter_rows(min_row=checkin_sheet.HEADER_ROW + 1, values_only=True)]
    tickets = {r[0] for r in rows}
    assert tickets == {r.ticket_code for r in regs} | {group.ticket_code}
    assert other.ticket_code not in tickets
    names = {r[1] for r in rows}
    assert "三***班" in names and not any(r.name in names for r in regs)
    phones = [r[2] for r in rows if r[2]]
    assert len(phones) == 3 and all("****" in p for p in phones)
    assert all(reg.user.phone not in str(rows) for reg in regs)
    walk = [r for r in wb.worksheets[1].iter_rows(min_row=checkin_sheet.WALK_IN_HEADER_ROW + 1, values_only=True)]
    assert [r[2] for r in walk] == ["youth", "farmers", "workers", "elderly", "officials", "other"]
    assert wb["kepu"].sheet_state == "hidden"


def test_mask_name():
    assert [checkin_sheet.mask_name(n) for n in ("张三丰", "李四", "王", "欧阳建国", "")] == [
        "张*丰",
        "李*",
        "王",
        "欧**国",
        "",
    ]


def test_import_checks_in_counts_walk_ins_and_a_second_import_changes_nothing(door):
    staff, activity, first, regs, group, _other = door
    marked = _mark(
        services.checkin_sheet_export(actor=staff, activity=activity, session=first),
        {regs[0].ticket_code, group.ticket_code},
        walk_ins={"elderly": 4, "farmers": "2"},
    )
    result = services.checkin_sheet_import(actor=staff, activity=activity, content=marked)
    assert (result.checked_in, result.already, result.walk_ins) == (2, 0, 6)
    fig = _figures(staff, activity)
    assert (fig.checked_in, fig.walk_ins, fig.person_times) == (13, 6, 19)
    assert fig.by_population["youth"] == 12 and fig.by_population["elderly"] == 4
    assert fig.by_population["other"] == 1 and fig.by_population["farmers"] == 2

    again = services.checkin_sheet_import(actor=staff, activity=activity, content=marked)
    assert (again.checked_in, again.already, again.walk_ins, again.walk_ins_already_counted) == (0, 2, 0, True)
    fig = _figures(staff, activity)
    assert (fig.checked_in, fig.walk_ins, fig.person_times) == (13, 6, 19)
    assert WalkIn.objects.count() == 2


def test_one_bad_row_saves_nothing_and_every_bad_row_is_reported(door):
    staff, activity, first, regs, group, other = door
    exported = services.checkin_sheet_export(actor=staff, activity=activity, session=first)
    services.registration_cancel(actor=regs[2].user and world_actor(regs[2]), registration=regs[2])

    def spoil(wb):
        ws = wb.worksheets[0]
        ws.append(["no-such-ticket", "x", "", 1, "", "", "", 1])
        ws.append([other.ticket_code, "x", "", 1, "", "", "", 1])
        for row in ws.iter_rows(min_row=checkin_sheet.HEADER_ROW + 1):
            if row[0].value == regs[1].ticket_code:
                row[7].value = "也许"
        ws.append(["", "x", "", 1, "", "", "", 1])
        ws.append([regs[0].ticket_code, "x", "", 1, "", "", "", 1])
        wb.worksheets[1]["B5"] = "three"

    bad = _mark(exported, {regs[0].ticket_code, regs[2].ticket_code}, edit=spoil)
    with pytest.raises(services.CheckinListInvalid) as exc:
        services.checkin_sheet_import(actor=staff, activity=activity, content=bad)
    errors = exc.value.errors
    assert len(errors) == 7, errors
    text = " ".join(errors)
    for part in ("no-such-ticket", "另一场次", "也许", "缺少票号", "出现两次", "已取消", "第 5 行"):
        assert part in text, (part, text)
    assert not Registration.objects.filter(checked_in_at__isnull=False).exists()
    assert not WalkIn.objects.exists() and _figures(staff, activity).person_times == 0


def world_actor(registration):
    from kepu.core.actor import Actor

    return Actor(user=registration.user, membership=registration.user.memberships.get())


def test_the_workbook_is_read_before_the_transaction_and_a_failed_apply_saves_nothing(door, monkeypatch):
    from django.db import connection

    from kepu.activities.services import checkin

    staff, activity, first, regs, *_ = door
    marked = _mark(
        services.checkin_sheet_export(actor=staff, activity=activity, session=first),
        {regs[0].ticket_code, regs[1].ticket_code},
        walk_ins={"elderly": 3},
    )
    read, depths = checkin_sheet.read, []

    def spy(content):
        depths.append(len(connection.savepoint_ids))  # pytest-django's own atomic block makes no savepoint
        return read(content)

    def audit_fails(actor, code, *args, **kwargs):
        if code == "kepu.activities.checkin_imported":  # the last write of the apply step
            raise RuntimeError("the audit trail is down")

    monkeypatch.setattr(checkin_sheet, "read", spy)
    monkeypatch.setattr(checkin, "log_action", audit_fails)
    with pytest.raises(RuntimeError):
        services.checkin_sheet_import(actor=staff, activity=activity, content=marked)
    assert depths == [0]
    assert not Registration.objects.filter(checked_in_at__isnull=False).exists()
    assert not WalkIn.objects.exists() and _figures(staff, activity).person_times == 0


def test_files_that_are_not_this_activitys_list_are_refused(door, world):
    staff, activity, first, regs, *_ = door
    other_activity = published_activity(staff, title="另一个活动")
    exported = services.checkin_sheet_export(
        actor=staff, activity=other_activity, session=other_activity.sessions.get()
    )
    with pytest.raises(DomainError) as exc:
        services.checkin_sheet_import(actor=staff, activity=activity, content=exported)
    assert exc.value.code == "import_other_activity"
    plain = Workbook()
    plain.active.append(["ticket", "came"])
    out = io.BytesIO()
    plain.save(out)
    for junk in (out.getvalue(), b"ticket,checked_in\nabc,1\n", b""):
        with pytest.raises(DomainError) as exc:
            services.checkin_sheet_import(actor=staff, activity=activity, content=junk)
        assert exc.value.code == "import_format"
    with pytest.raises(NotAllowed):
        services.checkin_sheet_export(actor=world.b.unit_staff, activity=activity, session=first)
    exported = services.checkin_sheet_export(actor=staff, activity=activity, session=first)
    with pytest.raises(NotAllowed):
        services.checkin_sheet_import(actor=world.b.admin, activity=activity, content=_mark(exported, set()))


def test_walk_ins_forgotten_first_are_counted_later_but_a_changed_count_is_refused(door):
    staff, activity, first, regs, *_ = door
    exported = services.checkin_sheet_export(actor=staff, activity=activity, session=first)
    services.checkin_sheet_import(actor=staff, activity=activity, content=_mark(exported, {regs[0].ticket_code}))
    later = _mark(exported, {regs[0].ticket_code}, walk_ins={"other": 3})
    assert services.checkin_sheet_import(actor=staff, activity=activity, content=later).walk_ins == 3
    changed = _mark(exported, {regs[0].ticket_code}, walk_ins={"other": 5})
    with pytest.raises(services.CheckinListInvalid):
        services.checkin_sheet_import(actor=staff, activity=activity, content=changed)
    assert _figures(staff, activity).walk_ins == 3


def test_on_the_web_and_through_the_api(client, door, world):
    staff, activity, first, regs, group, _other = door
    login(client, staff)
    page = client.get(reverse("activities:manage_detail", args=[activity.pk])).content.decode()
    assert 'data-testid="checkin-export"' in page
    got = client.get(reverse("activities:checkin_export", args=[activity.pk]), {"session": first.pk})
    assert got["Content-Type"].startswith("application/vnd.openxmlformats")
    marked = _mark(got.content, {regs[1].ticket_code})
    response = client.post(
        reverse("activities:checkin_import", args=[activity.pk]),
        {"file": SimpleUploadedFile("list.xlsx", marked)},
        follow=True,
    )
    assert "已按签到表签到 1 人" in response.content.decode()
    bad = _mark(got.content, set(), edit=lambda wb: wb.worksheets[0].append(["nope", "", "", 1, "", "", "", 1]))
    response = client.post(
        reverse("activities:checkin_import", args=[activity.pk]),
        {"file": SimpleUploadedFile("list.xlsx", bad)},
        follow=True,
    )
    assert "未保存任何内容" in response.content.decode() and "nope" in response.content.decode()

    api = client.get(f"/api/v1/activities/{activity.pk}/sessions/{first.pk}/checkin-list")
    assert api.status_code == 200
    uploaded = client.post(
        f"/api/v1/activities/{activity.pk}/checkin-list",
        {"file": SimpleUploadedFile("l.xlsx", _mark(api.content, {regs[2].ticket_code}))},
    )
    assert uploaded.status_code == 200 and uploaded.json()["checked_in"] == 1
    wrong = client.post(f"/api/v1/activities/{activity.pk}/checkin-list", {"file": SimpleUploadedFile("l.xlsx", bad)})
    assert wrong.status_code == 400 and wrong.json()["code"] == "import_rows_invalid"
    assert len(wrong.json()["errors"]) == 1

    for stranger in (world.b.unit_staff, world.b.admin, world.a.team_staff):
        login(client, stranger)
        assert (
            client.get(reverse("activities:checkin_export", args=[activity.pk]), {"session": first.pk}).status_code
            == 404
        )
        assert (
            client.post(
                reverse("activities:checkin_import", args=[activity.pk]),
                {"file": SimpleUploadedFile("list.xlsx", marked)},
            ).status_code
            == 404
        )
        assert client.get(f"/api/v1/activities/{activity.pk}/sessions/{first.pk}/checkin-list").status_code == 404
    login(client, world.a.resident)
    assert client.get(reverse("activities:checkin_export", args=[activity.pk])).status_code == 403
    assert Registration.objects.filter(checked_in_at__isnull=False).count() == 2


def test_a_list_brought_back_after_the_session_is_a_late_entry_with_its_reason(world):
    """Checked in days later from a paper list: only as a late entry, with the reason, audited as such."""
    from kepu.core.models import AuditEntry

    staff = world.a.unit_staff
    activity = published_activity(staff, capacity=5)
    session = activity.sessions.get()
    reg = services.registration_create(actor=residents(world, 1)[0], session=session)
    exported = services.checkin_sheet_export(actor=staff, activity=activity, session=session)
    marked = _mark(exported, {reg.ticket_code}, walk_ins={"elderly": 2})
    with pytest.raises(DomainError) as err:  # before the door opens nobody is counted
        services.checkin_sheet_import(actor=staff, activity=activity, content=marked, late_reason="提前导入")
    assert err.value.code == "late_too_early"
    with after_the_session(session):
        with pytest.raises(DomainError) as err:
            services.checkin_sheet_import(actor=staff, activity=activity, content=marked)
        assert err.value.code == "checkin_closed"
        assert Registration.objects.get(pk=reg.pk).checked_in_at is None and not WalkIn.objects.exists()
        result = services.checkin_sheet_import(
            actor=staff, activity=activity, content=marked, late_reason="现场无网络，活动后按纸质签到表补登"
        )
    assert (result.checked_in, result.walk_ins) == (1, 2)
    assert Registration.objects.get(pk=reg.pk).late_entry_reason == "现场无网络，活动后按纸质签到表补登"
    assert WalkIn.objects.get().late_entry_reason == "现场无网络，活动后按纸质签到表补登"
    entry = AuditEntry.objects.get(action="kepu.activities.checkin_imported")
    assert entry.data["late_entry_reason"].startswith("现场无网络")
