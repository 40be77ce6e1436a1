"""In a real browser: a resident finds an activity on a phone, signs up and shows the QR code; staff scan it; the
dashboard counts it. Every page is checked with axe-core."""

from datetime import timedelta

import pytest
from django.utils import timezone
from playwright.sync_api import expect

from kepu.accounts.tests.factories import PASSWORD
from kepu.activities import feeds
from kepu.activities.models import Registration
from kepu.activities.tests.factories import published_activity
from kepu.activities.tests.factories import theme as calendar_theme
from kepu.core import clock
from kepu.core.populations import Population
from kepu.core.testing.browser import (
    DESKTOP,
    PHONE,
    assert_accessible,
    screenshot,
    sign_in_resident,
    sign_in_staff,
    visit,
)

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


def test_find_sign_up_show_qr_scan_and_count(phone_page, desktop_page, live_server, world):
    theme = calendar_theme("national-science-day")
    activity = published_activity(
        world.a.unit_staff,
        title="老年人防诈骗讲座",
        theme=theme,
        capacity=30,
        populations=[Population.ELDERLY],
        topics=["anti_fraud"],
        summary="识别常见骗局，守好养老钱",
        starts_at=timezone.now() + timedelta(hours=2),
        address="清源街道文化中心",
    )
    published_activity(world.b.unit_staff, title="青少年机器人体验", populations=[Population.YOUTH])

    # The resident, on a phone, finds it in the calendar by population and opens it.
    page = phone_page
    sign_in_resident(page, live_server.url, world.a.resident.user.phone)
    visit(page, f"{live_server.url}/activities/")
    screenshot(page, "activities-calendar-phone")
    page.get_by_test_id("calendar-fold").locator("summary").click()  # the filters are folded on a phone
    page.select_option("#f-population", "elderly")
    page.wait_for_load_state("networkidle")
    results = page.get_by_test_id("calendar-results")
    expect(results).not_to_contain_text("青少年机器人体验")
    expect(results).to_contain_text("老年人防诈骗讲座")
    assert "population=elderly" in page.url
    page.get_by_role("link", name="老年人防诈骗讲座").click()
    page.wait_for_load_state("networkidle")
    visit(page, page.url)
    assert page.locator('meta[property="og:title"]').get_attribute("content") == "老年人防诈骗讲座"
    screenshot(page, "activities-detail-phone")
    page.select_option(f"#pop-{activity.sessions.get().pk}", "elderly")
    page.get_by_test_id("signup").click()
    page.wait_for_load_state("networkidle")
    assert page.get_by_test_id("reg-status").inner_text() == "已确认"
    qr = page.get_by_test_id("ticket-qr").locator("svg")
    assert qr.is_visible() and qr.bounding_box()["width"] >= 150
    visit(page, page.url)
    screenshot(page, "activities-ticket-phone")
    reg = Registration.objects.get(user=world.a.resident.user)

    # Staff check the resident in by feeding the ticket's QR image to the scanner page.
    # The door opens two hours before the session: the live server shares this clock.
    with clock.frozen_at(reg.session.starts_at + timedelta(minutes=5)):
        staff = desktop_page
        sign_in_staff(staff, live_server.url, world.a.unit_staff.user.username, PASSWORD)
        visit(staff, f"{live_server.url}/activities/manage/{activity.pk}/checkin/")
        staff.get_by_test_id("scan-file").set_input_files(
            files=[{"name": "ticket.png", "mimeType": "image/png", "buffer": feeds.qr_png(reg.qr_payload)}]
        )
        result = staff.get_by_test_id("checkin-result")
        result.wait_for()
        assert "签到成功" in result.inner_text() and world.a.resident.user.name in result.inner_text()
        assert staff.get_by_test_id("count-checked-in").inner_text() == "1"
        # Typing the same payload again is refused clearly; walk-ins are counted.
        staff.get_by_test_id("payload").fill(reg.qr_payload)
        staff.get_by_test_id("payload-submit").click()
        staff.get_by_text("已于").wait_for()
        staff.fill("#id_head_count", "4")
        staff.select_option("#id_population", "elderly")
        staff.get_by_test_id("walk-in-submit").click()
        staff.get_by_test_id("count-walk-ins").filter(has_text="4").wait_for()
        assert_page = staff.url
        visit(staff, assert_page)
        screenshot(staff, "activities-checkin-desktop")

    # The dashboard counts the check-in and the walk-ins.
    visit(staff, f"{live_server.url}/activities/dashboard/")
    assert staff.get_by_test_id("fig-checked-in").inner_text() == "1"
    assert staff.get_by_test_id("fig-person-times").inner_text() == "5"
    screenshot(staff, "activities-dashboard-desktop")

    # Once the session is over, the resident sees the survey on the ticket (not before).
    page.reload()
    page.wait_for_load_state("networkidle")
    assert page.get_by_text("活动怎么样？").count() == 0
    with clock.frozen_at(reg.session.ends_at + timedelta(minutes=5)):
        page.reload()
        page.wait_for_load_state("networkidle")
        page.get_by_text("活动怎么样？").wait_for()
        visit(page, page.url)


def test_organizer_publishes_on_a_phone_and_district_sees_figures(phone_page, live_server, world):
    page = phone_page
    sign_in_staff(page, live_server.url, world.a.unit_staff.user.username, PASSWORD)
    visit(page, f"{live_server.url}/activities/manage/new/")
    screenshot(page, "activities-new-phone")
    page.fill("#id_title", "社区健康讲座")
    page.select_option("#id_kind", "lecture")
    page.check("input[name=populations][value=elderly]")
    page.fill("#id_address", "社区活动室")
    start = (timezone.localtime() + timedelta(days=2)).strftime("%Y-%m-%dT%H:%M")
    page.fill("#id_starts_at", start)
    page.fill("#id_capacity", "20")
    page.get_by_role("button", name="保存为草稿").click()
    page.wait_for_load_state("networkidle")
    visit(page, page.url)
    page.get_by_test_id("action-submit").locator("button").click()
    page.wait_for_load_state("networkidle")
    assert page.get_by_test_id("checkin-link").is_visible()
    visit(page, page.url)
    screenshot(page, "activities-manage-phone")
    visit(page, f"{live_server.url}/activities/dashboard/")
    screenshot(page, "activities-dashboard-phone")
    page.context.clear_cookies()
    sign_in_staff(page, live_server.url, world.a.admin.user.username, PASSWORD)
    visit(page, f"{live_server.url}/activities/themes/")
    screenshot(page, "activities-themes-phone")


def test_the_activity_form_picks_a_place_step_by_step_on_a_phone_in_elder_mode(
    phone_page, desktop_page, live_server, world
):
    from kepu.activities import services
    from kepu.activities.models import Activity

    services.venue_create(
        actor=world.a.base_staff,
        organization=world.a.base,
        place=world.a.communities[1],
        name="大兴科技馆一号厅",
        address="科技馆路1号",
        opening_hours={"1": [["09:00", "17:00"]]},
    )
    page = phone_page
    sign_in_staff(page, live_server.url, world.a.community_staff.user.username, PASSWORD)
    visit(page, f"{live_server.url}/activities/manage/new/")
    page.get_by_test_id("elder-toggle").click()
    page.wait_for_load_state("networkidle")
    assert "elder" in (page.locator("html").get_attribute("class") or "")
    # Only the chosen "where" group shows: the venue list appears when "at a venue" is picked.
    expect(page.get_by_test_id("where-venue")).to_be_hidden()
    page.get_by_label("在场馆").check()
    expect(page.get_by_test_id("where-venue")).to_be_visible()
    expect(page.get_by_test_id("where-place")).to_be_hidden()
    page.get_by_label("在某个地址").check()
    # District (its own, preset) → street → community, each step redrawn by htmx.
    expect(page.locator("#pick-community")).to_be_disabled()
    page.select_option("#pick-street", world.a.streets[0].code)
    expect(page.locator("#pick-community")).to_be_enabled()
    page.select_option("#pick-community", world.a.communities[0].code)
    page.wait_for_load_state("networkidle")
    assert page.locator("#pick-community").input_value() == world.a.communities[0].code
    page.fill("#id_title", "长辈智能手机课")
    page.fill("#id_address", "社区活动室")
    start = timezone.localtime() + timedelta(days=3)
    page.fill("#id_starts_at", start.strftime("%Y-%m-%dT%H:%M"))
    page.fill("#id_registration_opens_at", (start - timedelta(days=2)).strftime("%Y-%m-%dT%H:%M"))
    page.fill("#id_registration_closes_at", (start - timedelta(hours=3)).strftime("%Y-%m-%dT%H:%M"))
    assert_accessible(page, context="activity form, elder mode, filled")
    screenshot(page, "activities-form-elder-phone")
    # Nothing sticks out sideways on a phone, even in elder mode.
    assert page.evaluate("document.documentElement.scrollWidth") <= 390
    page.get_by_test_id("activity-save").click()
    page.wait_for_load_state("networkidle")
    activity = Activity.objects.get(title="长辈智能手机课")
    assert activity.place == world.a.communities[0] and activity.registration_opens_at is not None
    visit(page, f"{live_server.url}/activities/manage/{activity.pk}/edit/")
    assert page.locator("#pick-community").input_value() == world.a.communities[0].code
    screenshot(page, "activities-edit-elder-phone")

    desk = desktop_page
    sign_in_staff(desk, live_server.url, world.a.community_staff.user.username, PASSWORD)
    visit(desk, f"{live_server.url}/activities/manage/{activity.pk}/edit/")
    desk.get_by_role("radio", name="线上").check()
    expect(desk.get_by_test_id("where-online")).to_be_visible()
    screenshot(desk, "activities-edit-desktop")
    desk.fill("#id_online_url", "https://meeting.example/kepu")
    desk.get_by_test_id("activity-save").click()
    desk.wait_for_load_state("networkidle")
    activity.refresh_from_db()
    assert activity.is_online and activity.place == world.a.committees[0].place


def test_offline_list_download_mark_and_upload(phone_page, desktop_page, live_server, world, tmp_path):
    import io

    from openpyxl import load_workbook

    from kepu.activities import checkin_sheet, services

    staff_actor = world.a.unit_staff
    activity = published_activity(staff_actor, title="防灾减灾讲座", capacity=10, address="街道礼堂")
    session = activity.sessions.get()
    reg = services.registration_create(actor=world.a.resident, session=session)
    staff = desktop_page
    sign_in_staff(staff, live_server.url, staff_actor.user.username, PASSWORD)
    visit(staff, f"{live_server.url}/activities/manage/{activity.pk}/")
    with staff.expect_download() as info:
        staff.get_by_test_id("checkin-export").click()
    wb = load_workbook(io.BytesIO(open(info.value.path(), "rb").read()))
    for row in wb.worksheets[0].iter_rows(min_row=checkin_sheet.HEADER_ROW + 1):
        if row[0].value == reg.ticket_code:
            row[7].value = 1
    wb.worksheets[1]["B6"] = 7  # elderly walk-ins
    marked = tmp_path / "marked.xlsx"
    wb.save(marked)
    # The paper list comes back the day after the session: a late entry, which needs its reason.
    with clock.frozen_at(session.ends_at + timedelta(hours=20)):
        visit(staff, staff.url)
        staff.get_by_test_id("checkin-import-file").set_input_files(str(marked))
        staff.get_by_test_id("checkin-import").click()
        staff.wait_for_load_state("networkidle")
        expect(staff.locator(".messages")).to_contain_text("补登")
        assert not Registration.objects.get(pk=reg.pk).is_checked_in
        staff.get_by_test_id("checkin-import-file").set_input_files(str(marked))
        staff.fill("#imp-late", "礼堂没有网络，按纸质签到表补登")
        staff.get_by_test_id("checkin-import").click()
        staff.wait_for_load_state("networkidle")
        expect(staff.locator(".messages")).to_contain_text("已按签到表签到 1 人")
        visit(staff, staff.url)
        screenshot(staff, "activities-manage-offline-desktop")
        # The same file again: nobody twice, walk-ins once.
        staff.get_by_test_id("checkin-import-file").set_input_files(str(marked))
        staff.fill("#imp-late", "礼堂没有网络，按纸质签到表补登")
        staff.get_by_test_id("checkin-import").click()
        staff.wait_for_load_state("networkidle")
        expect(staff.locator(".messages")).to_contain_text("此前已计入")
    reg.refresh_from_db()
    session.refresh_from_db()
    assert reg.is_checked_in and session.walk_in_count == 7 and session.checked_in == 1

    page = phone_page
    sign_in_staff(page, live_server.url, staff_actor.user.username, PASSWORD)
    visit(page, f"{live_server.url}/activities/manage/{activity.pk}/")
    screenshot(page, "activities-manage-offline-phone")
    assert page.evaluate("document.documentElement.scrollWidth") <= 390
