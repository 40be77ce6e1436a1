"""Residents first, on a 390 × 844 phone in elder mode (长辈版): a person who has never signed in books a service
from the landing page (through the phone sign-in and back), follows it on the stepper and rates it; the same
person signs up for an activity. Every element touched is at least 48 px, nothing scrolls sideways, every page
passes axe. Screenshots of the resident home, the order stepper and a worker home land in var/screenshots/."""

import re

import pytest

from kepu.accounts.tests.factories import PASSWORD
from kepu.core.messaging import LocmemSmsBackend
from kepu.core.roles import Role
from kepu.core.testing.browser import (
    DESKTOP,
    PHONE,
    assert_accessible,
    assert_no_sideways_scroll,
    choose,
    screenshot,
    sign_in_resident,
    sign_in_staff,
    tap,
    type_into,
    visit,
)

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


@pytest.fixture
def elder_phone(browser, live_server):
    context = browser.new_context(viewport=PHONE, locale="zh-CN")
    context.add_cookies([{"name": "kepu_elder", "value": "1", "url": live_server.url}])
    page = context.new_page()
    yield page
    context.close()


def arrived(page, path_start: str) -> None:
    """The page is ``path_start…``, it is in elder mode, passes axe and does not scroll sideways."""
    page.wait_for_load_state("networkidle")
    assert page.url.split("://", 1)[1].split("/", 1)[1].startswith(path_start.lstrip("/")), page.url
    assert "elder" in (page.locator("html").get_attribute("class") or "")
    assert_accessible(page)
    assert_no_sideways_scroll(page)


def sign_in_on_the_way(page, phone: str) -> None:
    """The phone sign-in as a newcomer meets it: consent, number, the code from the SMS, sign in."""
    type_into(page.locator("input[name=phone]"), phone, what="phone")
    tap(page.locator("label.checkbox-row"), what="the consent line")
    tap(page.get_by_test_id("send-code"), what="send the code")
    page.wait_for_selector("input[name=code]")
    arrived(page, "/accounts/phone/")
    assert page.get_by_test_id("resend").is_disabled()  # it counts down; the code box stays
    code = re.search(r"\d{6}", LocmemSmsBackend.outbox[-1].text).group(0)
    type_into(page.locator("input[name=code]"), code, what="code")
    tap(page.get_by_test_id("sign-in-code"), what="sign in")


def test_a_newcomer_books_a_service_from_the_landing_page_follows_it_and_rates_it(elder_phone, live_server, world):
    from kepu.orders.models import Order, OrderStatus
    from kepu.orders.tests.factories import add_order_parties, advance

    w = add_order_parties(world)
    a, page, base = w.a, elder_phone, live_server.url
    community = a.communities[0]

    page.goto(base + "/")
    arrived(page, "/")
    screenshot(page, "resident-landing-phone-elder")
    tap(page.get_by_test_id("card-orders:create"), what="the book-a-service card")
    # Never the staff password form: the residents' phone sign-in, which comes back to the form.
    arrived(page, "/accounts/phone/")
    assert "next=/orders/new/" in page.url.replace("%2F", "/")
    sign_in_on_the_way(page, "13700002222")
    arrived(page, "/orders/new/")  # no detour through a welcome form: the form asks for name and community

    form = page.get_by_test_id("order-form")
    assert form.locator("select[name=population]").input_value() == ""  # nothing chosen for the resident
    type_into(form.locator("input[name=your_name]"), "钱奶奶")
    type_into(form.locator("input[name=title]"), "老年人防跌倒讲座")
    choose(form.locator("select[name=topic]"), "health")
    choose(form.locator("select[name=kind]"), "health_talk")
    choose(form.locator("select[name=population]"), "elderly")
    type_into(form.locator("input[name=place_q]"), community.name)
    found = page.get_by_test_id(f"found-{community.code}")
    found.wait_for()
    assert_no_sideways_scroll(page)
    tap(found, what="the community found by name")
    page.get_by_test_id("place-chosen").wait_for()
    assert page.locator("select[name=place]").input_value() == community.code
    assert_accessible(page)
    tap(page.get_by_test_id("order-submit"), what="send")

    order = Order.objects.get()
    assert (order.population, order.community_id, order.resident.name) == ("elderly", community.pk, "钱奶奶")
    arrived(page, f"/orders/{order.pk}/")
    stepper = page.get_by_test_id("stepper")
    assert "提交" in stepper.get_by_test_id("step-1").inner_text()
    assert re.search(r"\d{4}-\d\d-\d\d \d\d:\d\d", stepper.get_by_test_id("step-1").inner_text())
    assert page.get_by_test_id("step-2").get_attribute("aria-current") == "step"
    body = page.locator("main").inner_text()
    for staff_word in ("派单", "领单", "入户代填", "本环节时限", "将记入操作日志"):  # 单位接单 is a step of the stepper
        assert staff_word not in body, staff_word
    screenshot(page, "order-stepper-submitted-phone-elder")

    # The community, the unit and the volunteer organization do their parts; the service takes place.
    advance(order, a, "deliver")
    page.reload()
    arrived(page, f"/orders/{order.pk}/")
    for n in range(1, 6):
        step = page.get_by_test_id(f"step-{n}")
        assert "done" in step.get_attribute("class") and re.search(r"\d{4}-\d\d-\d\d", step.inner_text()), n
    assert page.get_by_test_id("step-6").get_attribute("aria-current") == "step"
    # The rating card is right under the stepper, and no star is chosen for the resident.
    card = page.get_by_test_id("rate-card")
    assert card.bounding_box()["y"] < page.locator("h2", has_text="您预约的服务").bounding_box()["y"]
    assert page.locator("input[name=rate-rating]").count() == 5
    assert page.locator("input[name=rate-rating]:checked").count() == 0
    screenshot(page, "order-stepper-rate-phone-elder")
    tap(page.get_by_test_id("star-4"), what="the fourth star")
    assert "满意" in page.locator(".stars-said").inner_text()
    type_into(card.locator("textarea[name=rate-comment]"), "讲得清楚，很实用")
    tap(card.locator("button[type=submit]"), what="send my rating")

    arrived(page, f"/orders/{order.pk}/")
    order.refresh_from_db()
    assert (order.status, order.rating) == (OrderStatus.RATED, 4)
    assert page.get_by_test_id("order-status").inner_text() == "已完成，已评价"
    assert "done" in page.get_by_test_id("step-6").get_attribute("class")
    assert not page.get_by_test_id("rate-card").count()
    screenshot(page, "order-stepper-rated-phone-elder")

    # Home: the tab bar, the big cards, and the order among "my bookings" no more (it is done).
    tap(page.get_by_test_id("tab-1"), what="the home tab")
    arrived(page, "/w/resident/")
    screenshot(page, "resident-home-phone-elder")


def test_a_newcomer_signs_up_for_an_activity_from_the_landing_page(elder_phone, live_server, world):
    from kepu.activities.models import Registration, RegistrationStatus
    from kepu.activities.tests.factories import published_activity

    activity = published_activity(world.a.unit_staff, title="家庭急救讲座")
    page, base = elder_phone, live_server.url

    page.goto(base + "/")
    arrived(page, "/")
    tap(page.get_by_test_id("card-activities:calendar"), what="the activities card")
    arrived(page, "/activities/")
    # On a phone the filters are folded behind one button.
    assert not page.locator("#f-district").is_visible()
    tap(page.get_by_test_id("calendar-fold").locator("summary"), what="the filter button")
    assert page.locator("#f-district").is_visible()
    assert_no_sideways_scroll(page)
    tap(page.get_by_test_id("calendar-fold").locator("summary"), what="the filter button")
    tap(page.get_by_role("link", name=activity.title), what="the activity")
    arrived(page, f"/activities/{activity.pk}/")
    tap(page.get_by_test_id("signup"), what="sign in to sign up")
    arrived(page, "/accounts/phone/")
    sign_in_on_the_way(page, "13700003333")
    arrived(page, f"/activities/{activity.pk}/")  # back where the sign-up was

    session = activity.sessions.get()
    population = page.locator(f"#pop-{session.pk}")
    assert population.input_value() == ""  # chosen by the person, never the first option
    choose(population, "elderly")
    tap(page.get_by_test_id("signup"), what="sign up")
    reg = Registration.objects.get(session=session)
    assert (reg.status, reg.population) == (RegistrationStatus.CONFIRMED, "elderly")
    arrived(page, f"/activities/tickets/{reg.pk}/")
    assert page.locator("svg").count() and reg.qr_payload in page.content()
    screenshot(page, "activity-ticket-phone-elder")


def _modes(page, base, name: str, path: str, user) -> None:
    """Screenshots of ``path`` at phone and desk size, standard and elder mode, each checked with axe."""
    from kepu.accounts.services import set_elder_mode

    for size, viewport in (("phone", PHONE), ("desktop", DESKTOP)):
        page.set_viewport_size(viewport)
        for elder in (False, True):
            set_elder_mode(user=user, on=elder)  # signed in, the person's own setting decides
            visit(page, base + path)
            assert_no_sideways_scroll(page)
            screenshot(page, f"{name}-{size}{'-elder' if elder else ''}")


def test_screenshots_of_the_resident_home_the_stepper_and_a_worker_home(browser, live_server, world):
    from kepu.accounts.services import set_elder_mode
    from kepu.notifications.services import notify
    from kepu.orders.tests.factories import add_order_parties, advance, place_order

    w = add_order_parties(world)
    a, base = w.a, live_server.url
    order = advance(place_order(a.resident), a, "deliver")
    place_order(a.resident, title="反诈骗宣传讲座", topic="anti_fraud", population="elderly")
    notify([a.resident.user], title="您的订单已派给区卫健委", url=f"/orders/{order.pk}/")
    context = browser.new_context(viewport=PHONE, locale="zh-CN")
    page = context.new_page()
    sign_in_resident(page, base, a.resident.user.phone)
    for elder in (False, True):
        set_elder_mode(user=a.resident.user, on=elder)
        for size, viewport in (("phone", PHONE), ("desktop", DESKTOP)):
            page.set_viewport_size(viewport)
            suffix = f"{size}{'-elder' if elder else ''}"
            visit(page, f"{base}/w/{Role.RESIDENT}/")
            assert_no_sideways_scroll(page)
            assert page.get_by_test_id("unread-count").is_visible()  # the inbox shows what is unread
            assert "等您评价" in page.get_by_test_id("next-steps").inner_text()
            screenshot(page, f"resident-home-{suffix}")
            visit(page, f"{base}/orders/{order.pk}/")
            assert_no_sideways_scroll(page)
            screenshot(page, f"order-stepper-{suffix}")
    context.close()

    context = browser.new_context(viewport=PHONE, locale="zh-CN")
    page = context.new_page()
    sign_in_staff(page, base, a.unit_staff.user.username, PASSWORD)
    place_order(a.resident, title="家庭用药讲座")  # waits for the community
    claim = advance(place_order(a.resident, title="科学健身讲座"), a, "dispatch")
    assert claim.unit_id == a.unit.pk
    _modes(page, base, "worker-home-unit", f"/w/{Role.UNIT_STAFF}/", a.unit_staff.user)
    todos = page.get_by_test_id("todos")
    assert "待领单的订单" in todos.inner_text()
    tap(page.get_by_test_id("todo-orders-claim"), what="the to-do")
    page.wait_for_load_state("networkidle")
    assert "科学健身讲座" in page.get_by_test_id("order-list").inner_text()
    context.close()

    context = browser.new_context(viewport=PHONE, locale="zh-CN")
    page = context.new_page()
    sign_in_staff(page, base, a.community_staff.user.username, PASSWORD)
    _modes(page, base, "worker-home-community", f"/w/{Role.COMMUNITY_STAFF}/", a.community_staff.user)
    assert "待派单的订单" in page.get_by_test_id("todos").inner_text()
    context.close()
