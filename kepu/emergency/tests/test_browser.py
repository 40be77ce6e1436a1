"""In a real browser, on a phone: the district office declares a red rainstorm warning for two streets, a
community worker ticks off the checklist, the office sees the reach by place update, and a resident reads the
guidance in elder mode. Every page visited is checked with axe-core."""

from datetime import timedelta

import pytest
from django.utils import timezone
from playwright.sync_api import expect

from kepu.accounts.tests.factories import PASSWORD
from kepu.core import clock
from kepu.core.testing.browser import (
    PHONE,
    assert_no_sideways_scroll,
    htmx_settled,
    screenshot,
    sign_in_resident,
    sign_in_staff,
    tap,
    visit,
)
from kepu.emergency.models import ChecklistItem, Event, EventStatus

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def _phone(browser):
    context = browser.new_context(viewport=PHONE, locale="zh-CN")
    return context, context.new_page()


def test_office_declares_on_a_phone_community_ticks_office_sees_reach(browser, live_server, eworld):
    w = eworld
    url = live_server.url
    office_ctx, office = _phone(browser)
    sign_in_staff(office, url, w.a.admin.user.username, PASSWORD)
    visit(office, f"{url}/emergency/")
    tap(office.get_by_test_id("declare"), what="declare button")
    office.wait_for_load_state("networkidle")
    visit(office, office.url)
    office.select_option("#id_hazard", label="暴雨洪涝")
    office.check("input[name=level][value=red]")
    office.check(f"input[name=places][value='{w.street1.code}']")
    office.check(f"input[name=places][value='{w.street2.code}']")
    start = timezone.localtime(clock.now())
    office.fill("#id_starts_at", start.strftime("%Y-%m-%dT%H:%M"))
    office.fill("#id_expected_end", (start + timedelta(hours=12)).strftime("%Y-%m-%dT%H:%M"))
    screenshot(office, "emergency-declare-phone")
    tap(office.get_by_test_id("declare-submit"), what="declare and send")
    office.wait_for_load_state("networkidle")
    event = Event.objects.get()
    assert event.status == EventStatus.DECLARED
    expect(office.get_by_test_id("event-status")).to_contain_text("已发布")
    expect(office.get_by_test_id("reach-row")).to_have_count(2)
    told = event.deliveries.count()
    expect(office.get_by_test_id("reach-total")).to_contain_text(f"已通知{told}名")
    assert_no_sideways_scroll(office)
    visit(office, office.url)
    screenshot(office, "emergency-event-phone")

    worker_ctx, worker = _phone(browser)
    sign_in_staff(worker, url, w.a.community_staff.user.username, PASSWORD)
    visit(worker, f"{url}/emergency/events/{event.pk}/checklist/")
    posters = worker.get_by_test_id("task-posters")
    expect(posters).to_have_count(1)  # only the worker's own community
    tap(posters.locator("button"), what="posters done")
    htmx_settled(worker)
    expect(worker.get_by_test_id("task-posters")).to_contain_text("已完成")
    assert ChecklistItem.objects.filter(event=event, done_at__isnull=False).count() == 1
    assert_no_sideways_scroll(worker)
    screenshot(worker, "emergency-checklist-phone")

    # The office's page polls: the street's checklist count goes up without a reload.
    expect(office.get_by_test_id("reach-tasks").first).to_contain_text("1 /", timeout=10_000)
    screenshot(office, "emergency-reach-phone")

    resident_ctx, resident = _phone(browser)
    sign_in_resident(resident, url, w.a.resident.user.phone)
    visit(resident, f"{url}/emergency/e/{event.pk}/")
    resident.get_by_test_id("elder-toggle").click()
    resident.wait_for_load_state("networkidle")
    visit(resident, resident.url)
    expect(resident.get_by_test_id("sms-text")).to_contain_text("暴雨红色预警")
    expect(resident.get_by_test_id("elder-version")).to_be_visible()
    assert_no_sideways_scroll(resident)
    screenshot(resident, "emergency-public-elder")
    assert event.deliveries.get(user=w.a.resident.user).read_at is not None
    for ctx in (office_ctx, worker_ctx, resident_ctx):
        ctx.close()
