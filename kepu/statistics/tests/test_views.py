"""The statistics' pages: a unit fills its form, follows a figure to its records, the district and the city
see their tables and workbooks; everyone else is refused."""

import re
from io import BytesIO

import pytest
from django.urls import reverse
from openpyxl import load_workbook

from kepu.orders.tests.test_scoping import login
from kepu.orgs.choices import OrgKind
from kepu.orgs.tests.factories import OrganizationFactory
from kepu.statistics import services
from kepu.statistics.models import ReportStatus, Value, ValueChange
from kepu.statistics.tests.factories import YEAR, district_table, fill_empty, held_activity, open_year, staff_for

pytestmark = pytest.mark.django_db


@pytest.fixture
def opened(world, late, dictionary):
    a = world.a
    held_activity(a.unit_staff, kind="lecture", walk_ins=[30], co_hosts=[a.street_office])
    held_activity(a.street_staff, kind="lecture", walk_ins=[20])
    return open_year(a)


def test_a_unit_fills_its_form_and_follows_a_figure_to_its_records(client, world, opened):
    a = world.a
    street = opened[a.street_office.pk]
    login(client, a.street_staff)
    assert client.get(reverse("statistics:home")).status_code == 200
    page = client.get(reverse("statistics:report", args=[street.pk])).content.decode()
    link = reverse("statistics:records", args=[street.pk, "A02"])
    assert link in page and ("未提交" in page or "Not submitted" in page)
    records = client.get(link).content.decode()
    assert "科普讲座" in records and 'data-testid="page-total">50<' in records
    assert 'data-testid="record-count">2<' in records
    response = client.post(
        reverse("statistics:values", args=[street.pk, "KP-005"]), {"v-A02": "65", "reason": "社区讲座有15人未扫码"}
    )
    assert response.status_code == 302
    assert Value.objects.get(report=street, indicator__code="A02").value == 65
    history = client.get(reverse("statistics:history", args=[street.pk])).content.decode()
    assert "社区讲座有15人未扫码" in history
    # Without a reason the correction is refused and the page says why, keeping what was typed.
    response = client.post(reverse("statistics:values", args=[street.pk, "KP-005"]), {"v-A02": "70", "reason": ""})
    assert response.status_code == 400 and 'value="70"' in response.content.decode()
    assert Value.objects.get(report=street, indicator__code="A02").value == 65


def test_the_district_table_says_what_was_counted_twice_and_its_workbook_adds_up(client, world, opened):
    a = world.a
    login(client, a.admin)
    page = client.get(reverse("statistics:district", args=[a.place.code, YEAR])).content.decode()
    assert re.search(r'data-testid="total-A02">50<', page)
    assert "2" in re.search(r'data-testid="removed-note">([^<]*)<', page).group(1)
    body = client.get(reverse("statistics:district_xlsx", args=[a.place.code, YEAR])).content
    wb = load_workbook(BytesIO(body))
    ws = wb["KP-005 科普活动"]
    codes = [c.value for c in ws[3]]
    total_row = list(ws.iter_rows(values_only=True))[-1]
    assert total_row[0] == "合计：大兴区"
    assert total_row[codes.index("A02")] == 50 and total_row[codes.index("A01")] == 2
    assert wb.sheetnames[:2] == ["KP-001 科普人员", "KP-002 科普场地"]


def test_a_formula_in_a_name_is_written_as_text(world, late, dictionary):
    OrganizationFactory(name="=cmd|'/c calc'!A1", kind=OrgKind.MEMBER_UNIT, place=world.a.place)
    open_year(world.a)
    from django.test import Client

    client = Client()
    login(client, world.a.admin)
    wb = load_workbook(BytesIO(client.get(reverse("statistics:district_xlsx", args=["110115", YEAR])).content))
    # Kept as written, as a text cell with a quote prefix: the spreadsheet shows it and never runs it.
    cells = [r[0] for r in wb["KP-001 科普人员"].iter_rows(min_row=4)]
    named = [c for c in cells if c.value == "=cmd|'/c calc'!A1"]
    assert named and all(c.data_type == "s" and c.quotePrefix for c in named)


def test_the_city_sees_a_districts_table_once_it_is_submitted(client, world, opened):
    a = world.a
    login(client, world.city_admin)
    page = client.get(reverse("statistics:city", args=[YEAR])).content.decode()
    assert 'data-testid="city-total-A02">—<' in page  # nothing reported yet
    for report in opened.values():
        report.status = ReportStatus.ACCEPTED
        report.save()
    table = district_table(a)
    table.status = ReportStatus.SUBMITTED
    table.save()
    page = client.get(reverse("statistics:city", args=[YEAR])).content.decode()
    assert 'data-testid="city-total-A02">50<' in page
    summary = client.get(reverse("statistics:city_summary", args=[YEAR])).content.decode()
    assert "<svg" in summary and "大兴区" in summary
    wb = load_workbook(BytesIO(client.get(reverse("statistics:city_xlsx", args=[YEAR])).content))
    rows = list(wb["KP-005 科普活动"].iter_rows(min_row=4, values_only=True))
    codes = [c.value for c in wb["KP-005 科普活动"][3]]
    assert rows[-1][codes.index("A02")] == 50 and rows[0][0] == "大兴区"
    assert client.get(reverse("statistics:district_summary", args=[a.place.code, YEAR])).status_code == 200


def test_pages_refuse_whoever_is_not_the_unit_the_district_or_the_city(client, world, opened):
    a, b = world.a, world.b
    unit = opened[a.unit.pk]
    unit_urls = [
        reverse("statistics:report", args=[unit.pk]),
        reverse("statistics:records", args=[unit.pk, "A02"]),
        reverse("statistics:history", args=[unit.pk]),
        reverse("statistics:report_xlsx", args=[unit.pk]),
    ]
    unit_posts = [
        reverse("statistics:values", args=[unit.pk, "KP-001"]),
        reverse("statistics:note", args=[unit.pk]),
        reverse("statistics:refresh", args=[unit.pk]),
        reverse("statistics:act", args=[unit.pk, "submit"]),
    ]
    district_urls = [
        reverse("statistics:district", args=[a.place.code, YEAR]),
        reverse("statistics:district_xlsx", args=[a.place.code, YEAR]),
        reverse("statistics:district_summary", args=[a.place.code, YEAR]),
    ]
    # Another district's office, another unit of the same district, a street office: not found.
    for outsider in (b.admin, staff_for(a.unit2), b.unit_staff, a.street_staff):
        login(client, outsider)
        for url in unit_urls:
            assert client.get(url).status_code == 404, (outsider, url)
        for url in unit_posts:
            assert client.post(url, {"v-P01": "1", "reason": "x"}).status_code == 404, (outsider, url)
    login(client, b.admin)
    for url in district_urls:
        assert client.get(url).status_code == 404
    assert client.post(reverse("statistics:district_open", args=[a.place.code, YEAR])).status_code == 404
    # Roles without statistics: forbidden everywhere.
    for outsider in (a.resident, a.community_staff, a.team_staff, a.school_staff):
        login(client, outsider)
        for url in [*unit_urls, *district_urls, reverse("statistics:city", args=[YEAR]), reverse("statistics:home")]:
            assert client.get(url).status_code == 403, (outsider, url)
    # A unit does not see the district's or the city's tables; a district not the city's.
    login(client, a.unit_staff)
    assert client.get(district_urls[0]).status_code == 403
    login(client, a.admin)
    assert client.get(reverse("statistics:city", args=[YEAR])).status_code == 403
    assert client.post(reverse("statistics:dictionary"), {}).status_code == 403
    assert not ValueChange.objects.filter(source="unit").exists()


def test_a_locked_form_shows_no_inputs_and_refuses_a_post(client, world, opened):
    a = world.a
    unit = opened[a.unit.pk]
    fill_empty(unit, a.unit_staff)
    services.report_transition(actor=a.unit_staff, report=unit, action="submit")
    login(client, a.unit_staff)
    page = client.get(reverse("statistics:report", args=[unit.pk])).content.decode()
    assert 'data-testid="locked"' in page and 'name="v-P01"' not in page
    response = client.post(reverse("statistics:values", args=[unit.pk, "KP-001"]), {"v-P01": "7", "reason": "改一下"})
    assert response.status_code == 409
    assert Value.objects.get(report=unit, indicator__code="P01").value == 0


def test_the_city_loads_a_new_edition_and_a_bad_file_changes_nothing(client, world, dictionary):
    from django.core.files.uploadedfile import SimpleUploadedFile

    from kepu.statistics.data import BUNDLED
    from kepu.statistics.models import Edition, Indicator

    login(client, world.city_admin)
    bad = SimpleUploadedFile("bad.toml", b'[edition]\nname = "x"\n[[indicator]]\ncode = "lower"\n')
    response = client.post(reverse("statistics:dictionary"), {"file": bad})
    assert response.status_code == 400 and 'data-testid="edition-problems"' in response.content.decode()
    assert Edition.objects.count() == 1
    text = BUNDLED.read_text(encoding="utf-8").replace("valid_from = 2024", "valid_from = 2027", 1)
    text = text.replace('label = "科普专职人员"', 'label = "科普专职工作人员"', 1)
    response = client.post(reverse("statistics:dictionary"), {"file": SimpleUploadedFile("2027.toml", text.encode())})
    assert response.status_code == 302
    p01 = Indicator.objects.filter(code="P01").order_by("valid_from")
    assert [(i.valid_from, i.valid_to, i.label) for i in p01] == [
        (2024, 2026, "科普专职人员"),
        (2027, None, "科普专职工作人员"),
    ]
