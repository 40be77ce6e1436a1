"""A year's statistics in a real browser: a street officer checks the pre-filled form on a phone, follows a
figure to its records, corrects one value with a reason and submits; the district accepts and submits its
table; the city sees the district's table, and the workbook's totals equal the page's. Every page is axe-clean."""

import re
from io import BytesIO

import pytest
from openpyxl import load_workbook

from kepu.accounts.tests.factories import PASSWORD
from kepu.core.testing.browser import DESKTOP, PHONE, screenshot, sign_in_staff, visit
from kepu.statistics import services
from kepu.statistics.models import ReportStatus, Value
from kepu.statistics.tests.factories import (
    YEAR,
    district_table,
    filer_staff,
    fill_empty,
    held_activity,
    open_year,
)

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def page_for(browser, viewport):
    context = browser.new_context(viewport=viewport, locale="zh-CN")
    return context.new_page()


def test_a_street_fills_the_district_approves_the_city_sees(browser, live_server, world, late, dictionary):
    a, base = world.a, live_server.url
    held_activity(a.unit_staff, kind="lecture", walk_ins=[30], co_hosts=[a.street_office], title="卫健委健康讲座")
    held_activity(a.street_staff, kind="lecture", walk_ins=[20], title="社区防诈骗讲座")
    forms = open_year(a)
    staff = filer_staff(a)
    for org_id, report in forms.items():
        fill_empty(report, staff[org_id])
        if org_id != a.street_office.pk:
            services.report_transition(actor=staff[org_id], report=report, action="submit")
            services.report_transition(actor=a.admin, report=report, action="accept")
    street = forms[a.street_office.pk]

    # The street officer, on a phone, opens the pre-filled form.
    page = page_for(browser, PHONE)
    sign_in_staff(page, base, a.street_staff.user.username, PASSWORD)
    visit(page, f"{base}/statistics/")
    page.get_by_test_id("my-forms").locator("a").first.click()
    page.wait_for_load_state("networkidle")
    visit(page, page.url)
    screenshot(page, "statistics-form-phone")
    assert page.get_by_test_id("records-A02").inner_text() == "50"
    # … follows the figure to the records it counts …
    page.get_by_test_id("records-A02").click()
    page.wait_for_load_state("networkidle")
    visit(page, page.url)
    screenshot(page, "statistics-records-phone")
    assert page.get_by_test_id("record-count").inner_text() == "2"
    assert page.get_by_test_id("page-total").inner_text() == "50"
    assert "卫健委健康讲座" in page.get_by_test_id("records").inner_text()
    page.go_back()
    page.wait_for_load_state("networkidle")
    # … corrects one value with a reason …
    form = page.get_by_test_id("values-KP-005")
    form.locator("#v-A02").fill("65")
    form.locator("#reason-KP-005").fill("社区讲座有15位老人未扫码签到")
    form.locator("button[type=submit]").click()
    page.wait_for_load_state("networkidle")
    visit(page, page.url)
    assert Value.objects.get(report=street, indicator__code="A02").value == 65
    assert "changed" in page.get_by_test_id("row-A02").get_attribute("class")
    # … and submits.
    page.locator("[data-testid=action-submit] button[type=submit]").click()
    page.wait_for_load_state("networkidle")
    visit(page, page.url)
    screenshot(page, "statistics-form-submitted-phone")
    assert page.get_by_test_id("report-status").inner_text() == "已提交待审"
    page.context.close()

    # The district office, at a desk, accepts the street's form and submits the district's table.
    page = page_for(browser, DESKTOP)
    sign_in_staff(page, base, a.admin.user.username, PASSWORD)
    visit(page, f"{base}/statistics/districts/{a.place.code}/{YEAR}/")
    page.get_by_test_id("units").get_by_role("link", name=a.street_office.name).click()
    page.wait_for_load_state("networkidle")
    visit(page, page.url)
    page.locator("[data-testid=action-accept] button[type=submit]").click()
    page.wait_for_load_state("networkidle")
    visit(page, page.url)
    assert page.get_by_test_id("table-status").inner_text() == "未提交"
    assert page.get_by_test_id("total-A02").inner_text() == "65"  # 30 + 65, the co-hosted lecture once
    screenshot(page, "statistics-district-desktop")
    page.locator("[data-testid=action-submit] button[type=submit]").click()
    page.wait_for_load_state("networkidle")
    visit(page, page.url)
    assert page.get_by_test_id("table-status").inner_text() == "已提交待审"
    assert district_table(a).status == ReportStatus.SUBMITTED
    page.context.close()

    # The city sees the district's table; its workbook adds up to what the page shows.
    page = page_for(browser, DESKTOP)
    sign_in_staff(page, base, world.city_admin.user.username, PASSWORD)
    visit(page, f"{base}/statistics/city/{YEAR}/")
    screenshot(page, "statistics-city-desktop")
    shown = {
        code: page.get_by_test_id(f"city-total-{code}").inner_text().replace(",", "")
        for code in ("A01", "A02", "P01", "F01")
    }
    assert shown["A02"] == "65" and shown["A01"] == "2"
    with page.expect_download() as download:
        page.get_by_test_id("city-xlsx").click()
    wb = load_workbook(BytesIO(open(download.value.path(), "rb").read()))
    for code, text in shown.items():
        sheet = next(ws for ws in wb.worksheets if code in [c.value for c in ws[3]])
        column = [c.value for c in sheet[3]].index(code)
        total = list(sheet.iter_rows(min_row=4, values_only=True))[-1][column]
        assert str(total) == text, (code, total, text)
    page.get_by_role("link", name=re.compile("大兴区")).click()
    page.wait_for_load_state("networkidle")
    visit(page, page.url)
    page.context.close()


def test_the_form_in_elder_mode_and_the_summary(browser, live_server, world, late, dictionary):
    a, base = world.a, live_server.url
    held_activity(a.street_staff, kind="lecture", walk_ins=[20])
    forms = open_year(a, YEAR - 1)
    forms = open_year(a)
    page = page_for(browser, PHONE)
    sign_in_staff(page, base, a.street_staff.user.username, PASSWORD)
    visit(page, f"{base}/statistics/reports/{forms[a.street_office.pk].pk}/")
    page.get_by_test_id("elder-toggle").click()
    page.wait_for_load_state("networkidle")
    visit(page, page.url)
    assert "elder" in page.locator("html").get_attribute("class")
    screenshot(page, "statistics-form-phone-elder")
    page.context.close()
    page = page_for(browser, DESKTOP)
    sign_in_staff(page, base, a.admin.user.username, PASSWORD)
    visit(page, f"{base}/statistics/districts/{a.place.code}/{YEAR}/summary/")
    assert page.locator("svg").count() >= 1
    screenshot(page, "statistics-summary-desktop")
    visit(page, f"{base}/statistics/dictionary/")
    page.context.close()
