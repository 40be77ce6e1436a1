"""The whole order line in a real browser on a phone, elder mode on, axe-clean on every page."""

from datetime import timedelta

import pytest
from django.utils import timezone

from kepu.accounts.tests.factories import PASSWORD
from kepu.core import clock
from kepu.core.testing.browser import PHONE, screenshot, sign_in_resident, sign_in_staff, visit
from kepu.orders.tests.factories import add_order_parties

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


@pytest.fixture
def phone_page(browser):
    context = browser.new_context(viewport=PHONE, locale="zh-CN")
    page = context.new_page()
    yield page
    context.close()


@pytest.fixture
def staff_page(browser):
    context = browser.new_context(viewport=PHONE, locale="zh-CN")
    page = context.new_page()
    yield page
    context.close()


def as_staff(page, base, actor):
    page.context.clear_cookies()
    sign_in_staff(page, base, actor.user.username, PASSWORD)


def open_order(page, base, pk, name):
    visit(page, f"{base}/orders/{pk}/")
    screenshot(page, name)


def submit(page, action):
    page.locator(f"[data-testid=action-{action}] button[type=submit]").click()
    page.wait_for_load_state("networkidle")


def photo_file(tmp_path):
    from PIL import Image

    path = tmp_path / "service.jpg"
    Image.new("RGB", (64, 48), (30, 120, 200)).save(path, "JPEG")
    return str(path)


def test_order_to_rating_on_a_phone_with_elder_mode(phone_page, staff_page, live_server, world, tmp_path, settings):
    from kepu.orders.models import Order

    settings.MEDIA_ROOT = tmp_path / "media"
    w = add_order_parties(world)
    a, base, page = w.a, live_server.url, phone_page

    # 群众点单: a resident signs in on her phone, turns on elder mode and orders.
    sign_in_resident(page, base, a.resident.user.phone)
    page.get_by_test_id("elder-toggle").click()
    page.wait_for_load_state("networkidle")
    assert "elder" in page.locator("html").get_attribute("class")
    visit(page, f"{base}/orders/menu/")
    visit(page, f"{base}/orders/new/")
    page.fill("input[name=title]", "老年人防跌倒健康讲座")
    page.select_option("select[name=kind]", "health_talk")
    page.select_option("select[name=topic]", "health")
    page.select_option("select[name=population]", "elderly")
    page.fill("input[name=expected_audience]", "30")
    page.get_by_test_id("place-chosen").wait_for()  # her own community, marked as hers
    screenshot(page, "orders-new-phone-elder")
    page.get_by_test_id("order-form").locator("button[type=submit]").click()
    page.wait_for_load_state("networkidle")
    order = Order.objects.get()
    assert page.url.endswith(f"/orders/{order.pk}/")
    visit(page, page.url)
    screenshot(page, "orders-detail-resident-phone")

    resident_page, page = page, staff_page
    # The dashboard before anything happened.
    as_staff(page, base, a.community_staff)
    visit(page, f"{base}/orders/rates/")
    assert page.get_by_test_id("satisfaction-rate").inner_text() == "—"

    # 社区派单: community staff see it waiting for them and dispatch it to the suggested unit.
    visit(page, f"{base}/orders/")
    assert order.number in page.get_by_test_id("order-list").inner_text()
    screenshot(page, "orders-list-community-phone")
    open_order(page, base, order.pk, "orders-dispatch-phone")
    page.get_by_test_id("contact-reveal").click()
    page.wait_for_selector("[data-testid=contact-full]")
    # Nothing is dispatched without a choice: the best-ranked unit is marked, not chosen.
    assert page.get_by_test_id("action-dispatch").locator("input[type=radio]:checked").count() == 0
    page.get_by_test_id("action-dispatch").locator("label.choice-card").first.click()
    submit(page, "dispatch")
    visit(page, page.url)

    # 部门领单: the unit claims it and passes it on to the best-ranked volunteer organization.
    as_staff(page, base, a.unit_staff)
    open_order(page, base, order.pk, "orders-claim-phone")
    submit(page, "claim")
    visit(page, page.url)
    page.get_by_test_id("action-pass_on").locator("label.choice-card").first.click()
    submit(page, "pass_on")
    visit(page, page.url)

    # 志愿组织接单: the organization accepts, schedules and records the delivery.
    as_staff(page, base, a.team_staff)
    visit(page, f"{base}/orders/")
    open_order(page, base, order.pk, "orders-accept-phone")
    submit(page, "accept")
    visit(page, page.url)
    start = timezone.localtime() + timedelta(hours=1)
    form = page.get_by_test_id("action-schedule")
    form.locator("input[name$=scheduled_for]").fill(start.strftime("%Y-%m-%dT%H:%M"))
    form.locator("input[name$=scheduled_place]").fill("社区活动中心")
    form.locator("input[name$=scheduled_people]").fill("赵队长等3人")
    submit(page, "schedule")
    visit(page, page.url)
    # Before the service begins its delivery cannot be recorded: the page says from when.
    assert page.get_by_test_id("action-deliver").count() == 0
    assert "开始后才能登记" in page.get_by_test_id("waiting-deliver").inner_text()
    with clock.frozen_at(start + timedelta(hours=2)):  # the live server shares this process's clock
        visit(page, page.url)
        form = page.get_by_test_id("action-deliver")
        form.locator("input[name$=attendance_elderly]").fill("28")
        form.locator(f"input[name$=volunteers][value='{a.volunteer.user.pk}']").check()
        form.locator(f"input[name$=volunteers_hours_{a.volunteer.user.pk}]").fill("1.5")
        form.locator("input[type=file]").set_input_files([photo_file(tmp_path)])
        screenshot(page, "orders-deliver-phone")
        submit(page, "deliver")
    visit(page, page.url)
    # The photo is on the order page, and the provider may add more.
    assert page.get_by_test_id("order-photos").locator("img").count() == 1
    img = page.get_by_test_id("order-photos").locator("img")
    img.scroll_into_view_if_needed()  # it loads lazily
    assert (
        img.evaluate(
            "i => i.complete && i.naturalWidth ? i.naturalWidth"
            " : new Promise(done => { i.onload = () => done(i.naturalWidth); })"
        )
        == 64
    )
    assert page.get_by_test_id("action-add-photos").is_visible()
    screenshot(page, "orders-delivered-photos-phone")

    # 群众评单: the resident hears of it in her inbox and rates it.
    page = resident_page
    visit(page, f"{base}/inbox/")
    assert "elder" in page.locator("html").get_attribute("class")
    screenshot(page, "inbox-resident-phone")
    open_order(page, base, order.pk, "orders-rate-phone")
    rate = page.get_by_test_id("rate-card")
    assert rate.locator("input[type=radio]").count() == 5
    assert rate.locator("input[type=radio]:checked").count() == 0  # no stars chosen for her
    rate.get_by_test_id("star-5").click()
    rate.locator("textarea[name$=comment]").fill("讲得很清楚，谢谢！")
    rate.locator("button[type=submit]").click()
    page.wait_for_load_state("networkidle")
    visit(page, page.url)
    assert page.get_by_test_id("order-status").inner_text() == "已完成，已评价"
    assert "讲得很清楚" in page.get_by_test_id("order-rating").inner_text()
    stepper = page.get_by_test_id("stepper").inner_text()
    for step in ("提交", "社区受理", "单位接单", "服务中", "已完成", "评价"):
        assert step in stepper

    # 三率: the dashboard moved; the offices keep the whole history.
    page = staff_page
    as_staff(page, base, a.community_staff)
    visit(page, f"{base}/orders/{order.pk}/")
    history = page.get_by_test_id("order-history").inner_text()
    for step in ("已点单", "派单", "领单", "转派", "接单", "排期", "登记服务完成", "评价"):
        assert step in history
    visit(page, f"{base}/orders/rates/")
    assert page.get_by_test_id("satisfaction-rate").inner_text() == "100.0%"
    assert page.get_by_test_id("completion-rate").inner_text() == "100.0%"
    assert page.get_by_test_id("response-rate").inner_text() == "100.0%"
    screenshot(page, "orders-rates-phone")
    page.set_viewport_size({"width": 1366, "height": 900})
    visit(page, f"{base}/orders/rates/")
    screenshot(page, "orders-rates-desktop")
    visit(page, f"{base}/orders/{order.pk}/")
    screenshot(page, "orders-detail-desktop")
