"""In a browser: a resident says on their profile which key population they belong to (htmx, phone, elder mode);
a community worker sets it for a resident on the person's page; the activity sign-up starts from it."""

import pytest
from playwright.sync_api import expect

from kepu.accounts.selectors import key_population_of
from kepu.accounts.tests.factories import PASSWORD
from kepu.activities.tests.factories import published_activity
from kepu.core.testing.browser import DESKTOP, PHONE, screenshot, sign_in_resident, sign_in_staff, visit

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def test_profile_population_then_sign_up(browser, live_server, world):
    activity = published_activity(world.a.unit_staff, title="老年人健康讲座")
    phone = browser.new_context(viewport=PHONE, locale="zh-CN").new_page()
    sign_in_resident(phone, live_server.url, world.a.resident.user.phone)
    visit(phone, f"{live_server.url}/accounts/me/")
    phone.get_by_test_id("elder-toggle").click()
    phone.wait_for_load_state("networkidle")
    phone.select_option("#me-key_population", "elderly")
    phone.get_by_test_id("population-save").click()
    expect(phone.get_by_test_id("population-saved")).to_be_visible()
    assert key_population_of(world.a.resident.user) == "elderly"
    visit(phone, f"{live_server.url}/accounts/me/")
    assert phone.locator("#me-key_population").input_value() == "elderly"
    screenshot(phone, "accounts-profile-elder-phone")
    visit(phone, f"{live_server.url}/activities/{activity.pk}/")
    assert phone.locator(f"#pop-{activity.sessions.get().pk}").input_value() == "elderly"

    desk = browser.new_context(viewport=DESKTOP, locale="zh-CN").new_page()
    sign_in_staff(desk, live_server.url, world.a.community_staff.user.username, PASSWORD)
    other = world.a.resident.user  # of the community this worker serves
    visit(desk, f"{live_server.url}/accounts/people/{other.pk}/")
    desk.select_option("#pp-key_population", "farmers")
    desk.get_by_test_id("population-save").click()
    expect(desk.get_by_test_id("population-saved")).to_be_visible()
    assert key_population_of(other) == "farmers"
    visit(desk, desk.url)
    screenshot(desk, "accounts-person-desktop")
    desk.context.close()
    phone.context.close()
