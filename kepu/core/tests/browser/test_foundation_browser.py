"""The foundation in a real browser: every role's home, elder mode, language, phone sign-in; axe-clean."""

import pytest

from kepu.accounts.tests.factories import PASSWORD, all_roles
from kepu.core.roles import Role
from kepu.core.testing.browser import DESKTOP, PHONE, htmx_settled, screenshot, sign_in_resident, sign_in_staff, visit

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


@pytest.fixture
def phone_page(browser):
    context = browser.new_context(viewport=PHONE, locale="zh-CN")
    page = context.new_page()
    yield page
    context.close()


@pytest.fixture
def desktop_page(browser):
    context = browser.new_context(viewport=DESKTOP, locale="zh-CN")
    page = context.new_page()
    yield page
    context.close()


def test_each_staff_role_signs_in_lands_home_and_is_refused_elsewhere(desktop_page, live_server, world):
    page = desktop_page
    roles = {r: a for r, a in all_roles(world.a).items() if r != Role.RESIDENT}
    roles[Role.CITY_ADMIN] = world.city_admin
    for role, actor in roles.items():
        page.context.clear_cookies()
        sign_in_staff(page, live_server.url, actor.user.username, PASSWORD)
        assert page.url.endswith(f"/w/{role}/"), page.url
        assert page.get_by_test_id("role-home").is_visible()
        visit(page, page.url)
        other = Role.CITY_ADMIN if role != Role.CITY_ADMIN else Role.RESIDENT
        response = page.goto(f"{live_server.url}/w/{other}/")
        assert response.status == 403
        visit(page, page.url)
        if role == Role.DISTRICT_ADMIN:
            visit(page, f"{live_server.url}/accounts/people/")
            assert world.b.admin.user.name not in page.content()
            visit(page, f"{live_server.url}/orgs/")
            visit(page, f"{live_server.url}/audit/")
            screenshot(page, "district-people-desktop")


def test_resident_on_a_phone_signs_in_turns_on_elder_mode_and_it_persists(phone_page, live_server, world):
    page = phone_page
    sign_in_resident(page, live_server.url, world.a.resident.user.phone)
    assert page.url.endswith(f"/w/{Role.RESIDENT}/")
    visit(page, page.url)
    page.get_by_test_id("elder-toggle").click()
    page.wait_for_load_state("networkidle")
    assert "elder" in page.locator("html").get_attribute("class")
    visit(page, f"{live_server.url}/accounts/me/")
    assert "elder" in page.locator("html").get_attribute("class")
    font = page.evaluate("() => parseFloat(getComputedStyle(document.body).fontSize)")
    line = page.evaluate("() => parseFloat(getComputedStyle(document.body).lineHeight)")
    assert font >= 20 and line / font >= 1.5
    screenshot(page, "resident-elder-phone")
    visit(page, f"{live_server.url}/places/")
    assert "elder" in page.locator("html").get_attribute("class")


def test_language_switch_in_the_browser(phone_page, live_server, db):
    page = phone_page
    visit(page, live_server.url + "/")
    assert page.get_by_test_id("elder-toggle").inner_text() == "长辈版"
    page.get_by_test_id("menu").locator("summary").click()  # the language is in the header's menu
    page.get_by_test_id("lang-switch").click()
    page.wait_for_load_state("networkidle")
    assert page.get_by_test_id("elder-toggle").inner_text() == "Elder mode"
    assert page.locator("html").get_attribute("lang") == "en"
    visit(page, page.url)
    screenshot(page, "landing-en-phone")


def test_a_new_resident_registers_with_the_place_picker(phone_page, live_server, world):
    page = phone_page
    sign_in_resident(page, live_server.url, "13700001111")
    assert page.url.endswith("/accounts/welcome/")
    visit(page, page.url)
    page.fill("input[name=name]", "钱奶奶")
    # Each step redraws the picker; htmx takes over the new selects once the swap has settled.
    page.select_option("#community-district", world.a.place.code)
    page.wait_for_function("() => document.querySelectorAll('#community-street option').length > 1")
    htmx_settled(page)
    page.select_option("#community-street", world.a.streets[0].code)
    page.wait_for_function("() => document.querySelectorAll('#community-community option').length > 1")
    htmx_settled(page)
    page.select_option("#community-community", world.a.communities[0].code)
    page.get_by_test_id("place-chosen").wait_for()
    page.click("main form button[type=submit].btn-block")
    page.wait_for_load_state("networkidle")
    assert page.url.endswith(f"/w/{Role.RESIDENT}/")
    visit(page, page.url)
