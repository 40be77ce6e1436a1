"""In a browser: a person invited by an import finds the invitation (inbox, profile), reads it on a phone in elder
mode and accepts it; the city office sees a stopped worker on its home page."""

from datetime import timedelta

import pytest
from django.utils import timezone
from playwright.sync_api import expect

from kepu.accounts.models import Membership
from kepu.accounts.services import people_invite
from kepu.accounts.tests.factories import PASSWORD
from kepu.core.models import WorkerBeat
from kepu.core.roles import Role
from kepu.core.testing.browser import DESKTOP, PHONE, screenshot, sign_in_resident, sign_in_staff, visit

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def test_an_invited_person_accepts_on_a_phone_and_the_city_sees_a_stopped_worker(browser, live_server, world):
    person = world.a.resident.user
    people_invite(
        actor=world.a.admin, organization=world.a.committees[0], role=Role.COMMUNITY_STAFF, user_ids=[person.pk]
    )
    phone = browser.new_context(viewport=PHONE, locale="zh-CN").new_page()
    sign_in_resident(phone, live_server.url, person.phone)
    visit(phone, f"{live_server.url}/accounts/me/")
    phone.get_by_test_id("elder-toggle").click()
    phone.wait_for_load_state("networkidle")
    expect(phone.get_by_test_id("invitations-link")).to_contain_text("(1)")
    phone.get_by_test_id("invitations-link").click()
    phone.wait_for_load_state("networkidle")
    visit(phone, phone.url)
    expect(phone.get_by_test_id("invitations")).to_contain_text(world.a.committees[0].display_name)
    screenshot(phone, "accounts-invitations-elder-phone")
    phone.get_by_role("button", name="接受并加入").click()
    phone.wait_for_load_state("networkidle")
    expect(phone.locator(".messages")).to_contain_text("您已以")
    assert Membership.objects.filter(user=person, role=Role.COMMUNITY_STAFF, is_active=True).exists()
    screenshot(phone, "accounts-invitations-accepted-elder-phone")

    now = timezone.now()
    WorkerBeat.objects.create(
        worker_id="w", host="kepu-app-1", pid=4242, started_at=now, last_seen_at=now - timedelta(minutes=5)
    )
    desk = browser.new_context(viewport=DESKTOP, locale="zh-CN").new_page()
    sign_in_staff(desk, live_server.url, world.city_admin.user.username, PASSWORD)
    visit(desk, f"{live_server.url}/w/city_admin/")
    expect(desk.get_by_test_id("stale-workers")).to_contain_text("kepu-app-1")
    screenshot(desk, "core-home-stale-worker-desktop")
