"""Excel import: every row checked, one bad row imports nothing and is reported, a clean file imports all."""

import io
from datetime import date, timedelta

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse
from openpyxl import Workbook, load_workbook

from kepu.accounts.models import Membership, User
from kepu.core.errors import NotAllowed
from kepu.core.pii import id_check_digit
from kepu.core.roles import Role
from kepu.volunteers import imports
from kepu.volunteers.models import Expert, ImportJob, Volunteer
from kepu.volunteers.tests.test_views import login

pytestmark = pytest.mark.django_db


def id_for(n: int) -> str:
    born = date(1950, 1, 1) + timedelta(days=n // 500)
    first17 = f"110115{born:%Y%m%d}{n % 500:03d}"
    return first17 + id_check_digit(first17)


def volunteer_rows(count: int, street_code: str = ""):
    for n in range(count):
        yield [f"志愿者{n}", id_for(n), f"13{n:09d}", street_code, "讲解、摄影", "健康", "普通话", "本科", ""]


def workbook(rows, kind="volunteers") -> bytes:
    wb = Workbook(write_only=True)
    ws = wb.create_sheet(kind)
    ws.append(imports.COLUMNS[kind])
    for r in rows:
        ws.append(r)
    out = io.BytesIO()
    wb.save(out)
    return out.getvalue()


def test_the_template_is_the_format_the_importer_reads(world):
    wb = load_workbook(io.BytesIO(imports.template_bytes("volunteers")))
    assert [c.value for c in wb.active[1]] == imports.VOLUNTEER_COLUMNS
    wb = load_workbook(io.BytesIO(imports.template_bytes("experts")))
    assert [c.value for c in wb.active[1]] == imports.EXPERT_COLUMNS


def test_one_bad_row_among_10000_imports_nothing_and_reports_that_row(world):
    rows = list(volunteer_rows(10_000, world.a.streets[0].code))
    bad = rows[6_789]
    bad[1] = bad[1][:-1] + ("0" if bad[1][-1] != "0" else "1")  # a wrong check digit
    users_before = User.objects.count()
    result = imports.import_file(actor=world.a.team_staff, kind="volunteers", source=io.BytesIO(workbook(rows)))
    assert result.total == 10_000 and result.error_count == 1
    assert result.errors == [{"row": 6_791, "errors": ["身份证号码的校验位有误。"]}]
    assert Volunteer.objects.count() == 0 and User.objects.count() == users_before


def test_a_clean_file_imports_all(world):
    rows = list(volunteer_rows(10_000, world.a.streets[0].code))
    result = imports.import_file(actor=world.a.team_staff, kind="volunteers", source=io.BytesIO(workbook(rows)))
    assert result.error_count == 0
    assert Volunteer.objects.count() == 10_000
    assert Membership.objects.filter(organization=world.a.team, role=Role.VOLUNTEER).count() == 10_000
    v = Volunteer.objects.get(real_name="志愿者42")
    assert v.id_number == id_for(42) and v.phone == "13000000042" and v.street == world.a.streets[0]
    assert v.skills == ["讲解", "摄影"] and v.education == "bachelor"
    assert v.user.phone == "13000000042"


def test_rows_are_checked_against_each_other_never_against_the_database(world):
    existing = list(volunteer_rows(1))[0]
    imports.import_file(actor=world.a.team_staff, kind="volunteers", source=io.BytesIO(workbook([existing])))
    rows = [
        existing,  # already registered: no error (the import is no oracle); the person is invited instead
        ["", id_for(5), "13900000005", "", "", "", "", "", ""],
        ["甲", id_for(6), "1234", "999", "", "", "", "博士后", ""],
        ["乙", id_for(7), "13900000007", "", "", "", "", "", ""],
        ["丙", id_for(7), "13900000007", "", "", "", "", "", ""],
    ]
    result = imports.check_volunteers(io.BytesIO(workbook(rows)))
    by_row = {e["row"]: e["errors"] for e in result.errors}
    assert set(by_row) == {3, 4, 6}
    assert len(by_row[4]) == 3  # phone, street code, education
    assert len(by_row[6]) == 2  # same ID and same phone as row 5


def test_wrong_template_is_refused_with_a_message(world):
    wb = Workbook()
    wb.active.append(["name", "id"])
    out = io.BytesIO()
    wb.save(out)
    from kepu.core.errors import DomainError

    with pytest.raises(DomainError) as exc:
        imports.import_file(actor=world.a.team_staff, kind="volunteers", source=io.BytesIO(out.getvalue()))
    assert exc.value.code == "import_template"


def test_only_the_organization_and_offices_may_import(world):
    data = workbook(volunteer_rows(1))
    for actor in (world.a.resident, world.a.admin, world.a.unit_staff):
        with pytest.raises(NotAllowed):
            imports.import_file(actor=actor, kind="volunteers", source=io.BytesIO(data))
    with pytest.raises(NotAllowed):
        imports.import_file(actor=world.a.team_staff, kind="experts", source=io.BytesIO(data))


def test_experts_import_checks_districts_of_the_office(world):
    rows = [
        [
            "刘教授",
            "life",
            "公共卫生",
            "主任医师",
            "区疾控",
            world.a.place.code,
            "13900001234",
            "传染病",
            "elderly、youth",
            "2026-01-01",
            "2028-12-31",
            "是",
            "public_health",
        ]
    ]
    result = imports.import_file(actor=world.a.admin, kind="experts", source=io.BytesIO(workbook(rows, "experts")))
    assert result.error_count == 0
    e = Expert.objects.get()
    assert e.is_emergency and e.emergency_fields == ["public_health"] and e.audiences == ["elderly", "youth"]
    assert e.phone == "13900001234" and "传染病" in e.search_text
    other = [
        ["王教授", "life", "", "", "", world.b.place.code, "", "", "", "", "", "", ""],
        ["赵教授", "nope", "", "", "", world.a.place.code, "", "", "", "2026-13-01", "", "", ""],
    ]
    result = imports.import_file(actor=world.a.admin, kind="experts", source=io.BytesIO(workbook(other, "experts")))
    assert {e["row"] for e in result.errors} == {2, 3}
    assert Expert.objects.count() == 1


def test_background_import_through_the_pages_shows_progress_and_the_report(
    client, world, django_capture_on_commit_callbacks
):
    login(client, world.a.team_staff)
    assert client.get(reverse("volunteers:import_template", args=["volunteers"])).status_code == 200
    rows = list(volunteer_rows(30))
    rows[3][2] = "123"
    upload = SimpleUploadedFile("v.xlsx", workbook(rows))
    with django_capture_on_commit_callbacks(execute=True):
        r = client.post(reverse("volunteers:import", args=["volunteers"]), {"file": upload})
    job = ImportJob.objects.get()
    assert r.url == reverse("volunteers:import_job", args=[job.pk])
    job.refresh_from_db()
    assert job.status == "failed" and job.errors[0]["row"] == 5 and job.total == 30
    page = client.get(r.url, HTTP_HX_REQUEST="true").content.decode()
    assert 'data-status="failed"' in page and "hx-trigger" not in page
    rows[3][2] = "13800000003"
    with django_capture_on_commit_callbacks(execute=True):
        client.post(
            reverse("volunteers:import", args=["volunteers"]), {"file": SimpleUploadedFile("v.xlsx", workbook(rows))}
        )
    job = ImportJob.objects.order_by("-pk").first()
    assert job.status == "done" and job.imported == 30 and Volunteer.objects.count() == 30
    # Another person cannot see the job.
    assert login(type(client)(), world.b.team_staff).get(r.url).status_code == 404
    r = client.post(reverse("volunteers:import", args=["volunteers"]), {"file": SimpleUploadedFile("v.csv", b"a,b")})
    assert r.status_code == 200 and ImportJob.objects.count() == 2


def test_the_streaming_reader_reads_shared_and_inline_strings_numbers_dates_and_gaps():
    from kepu.volunteers.xlsx import read_rows

    wb = Workbook()
    ws = wb.active
    ws.append(["a", 1, 2.5, True, None, date(2026, 1, 31), "=1+1"])
    ws["J1"] = "x&y<z>"
    ws.append(["中文"])
    out = io.BytesIO()
    wb.save(out)
    rows = list(read_rows(io.BytesIO(out.getvalue())))
    assert rows == [["a", 1.0, 2.5, True, None, 46053.0, None, None, None, "x&y<z>"], ["中文"]]
    assert imports._date(46053.0) == date(2026, 1, 31)
    assert rows[1:] == [["中文"]]
    assert list(read_rows(io.BytesIO(workbook([["甲"]]))))[1] == ["甲"]  # inline strings (write-only mode)
