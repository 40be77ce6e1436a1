"""In a real browser: the city office reads the city's page at a desk and drills into a district from the map; a
district office reads its page on a phone, in elder mode too, and goes down to a street. Every page is checked
with axe-core; nothing is wider than the phone's screen."""

import pytest
from playwright.sync_api import expect

from kepu.accounts.tests.factories import PASSWORD
from kepu.core.testing.browser import (
    DESKTOP,
    PHONE,
    assert_accessible,
    assert_no_sideways_scroll,
    screenshot,
    sign_in_staff,
    visit,
)
from kepu.leaders.tests.factories import some_work

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


@pytest.fixture
def phone(browser):
    context = browser.new_context(viewport=PHONE, locale="zh-CN")
    yield context.new_page()
    context.close()


@pytest.fixture
def desk(browser):
    context = browser.new_context(viewport=DESKTOP, locale="zh-CN")
    yield context.new_page()
    context.close()


def test_the_city_drills_down_from_the_map_and_a_district_reads_its_page_on_a_phone(desk, phone, live_server, lworld):
    some_work(lworld)
    a = lworld.a
    url = live_server.url

    page = desk
    sign_in_staff(page, url, lworld.city_admin.user.username, PASSWORD)
    visit(page, f"{url}/leaders/")
    expect(page.get_by_test_id("value-orders.placed")).to_have_text("4 单")
    expect(page.get_by_test_id("section-emergency")).to_contain_text("发布的应急事件")
    page.select_option("#figure", "orders.placed")
    page.wait_for_load_state("networkidle")
    expect(page.get_by_test_id(f"below-{a.place.code}")).to_have_text("3")
    assert_accessible(page, context="city page, coloured by orders placed")
    screenshot(page, "leaders-city-desktop")
    page.get_by_test_id(f"map-district-{a.place.code}").click()
    page.wait_for_load_state("networkidle")
    expect(page.get_by_test_id("lead-title")).to_contain_text(a.place.name)
    expect(page.get_by_test_id("value-orders.placed")).to_have_text("3 单")
    assert_accessible(page, context="district page from the map")

    page = phone
    sign_in_staff(page, url, a.admin.user.username, PASSWORD)
    visit(page, f"{url}/leaders/")
    expect(page.get_by_test_id("value-activities.person_times")).to_have_text("28 人次")
    assert_no_sideways_scroll(page)
    screenshot(page, "leaders-district-phone")
    page.get_by_test_id("elder-toggle").click()
    page.wait_for_load_state("networkidle")
    assert "elder" in (page.locator("html").get_attribute("class") or "")
    assert_accessible(page, context="district page, elder mode")
    assert_no_sideways_scroll(page)
    screenshot(page, "leaders-district-phone-elder")
    page.get_by_test_id(f"drill-{a.streets[0].code}").click()
    page.wait_for_load_state("networkidle")
    expect(page.get_by_test_id("lead-title")).to_contain_text(a.streets[0].name)
    expect(page.get_by_test_id("value-orders.placed")).to_have_text("3 单")
    assert_accessible(page, context="street page, elder mode")
    assert_no_sideways_scroll(page)
    screenshot(page, "leaders-street-phone-elder")
