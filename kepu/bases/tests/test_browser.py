"""In a real browser: a base applies, the district office and three experts take it through certification, its
staff attach an exhibit's introduction from the science library, it appears on the public map, and a resident
reads that introduction on the base's page and books a visit there on a phone, in elder mode too. Every page
visited is checked with axe-core."""

from datetime import timedelta

import pytest
from django.utils import timezone
from playwright.sync_api import expect

from kepu.accounts.tests.factories import PASSWORD
from kepu.activities import services as activities
from kepu.activities.models import Registration
from kepu.bases.models import Application, Base
from kepu.bases.tests.factories import base_for, experts, reference_data
from kepu.core import clock
from kepu.core.testing.browser import (
    DESKTOP,
    PHONE,
    assert_accessible,
    screenshot,
    sign_in_resident,
    sign_in_staff,
    visit,
)
from kepu.resources.tests.factories import add_reviewers, published

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

PDF = b"%PDF-1.4\n1 0 obj<<>>endobj\ntrailer<<>>\n%%EOF\n"


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


def _act(page, name: str) -> None:
    page.get_by_test_id(f"action-{name}").locator("button[type=submit]").click()
    page.wait_for_load_state("networkidle")


def _sign_out(page) -> None:
    page.context.clear_cookies()


def test_a_base_is_certified_appears_on_the_map_and_a_resident_books_a_visit(phone, desk, live_server, world):
    reference_data()
    a = world.a
    drawn = experts(a, 3, prefix="评审专家")
    url = live_server.url
    real_now = clock.now()
    # The application and its review took ten days; the notice has passed when the office confirms today.
    with clock.frozen_at(real_now - timedelta(days=10)):
        base = base_for(a, name="大兴航天科普馆", themes=["astronomy"], populations=["youth"])
        page = desk
        sign_in_staff(page, url, a.base_staff.user.username, PASSWORD)
        visit(page, f"{url}/bases/manage/{base.pk}/")
        screenshot(page, "bases-edit-desktop")
        page.get_by_test_id("apply").click()
        page.wait_for_load_state("networkidle")
        page.fill("#id_statement", "常设航天展厅1200平方米，全年开放，面向中小学生免费。")
        page.fill("#id_visitors_declared", "36000")
        page.get_by_test_id("save-application").click()
        page.wait_for_load_state("networkidle")
        for kind, name in (("form", "申报书.pdf"), ("venue", "场地证明.pdf")):
            page.select_option("#id_kind", kind)
            page.set_input_files("#id_file", files=[{"name": name, "mimeType": "application/pdf", "buffer": PDF}])
            page.get_by_test_id("add-material").click()
            page.wait_for_load_state("networkidle")
        expect(page.get_by_test_id("materials")).to_contain_text("场地证明.pdf")
        visit(page, page.url)
        screenshot(page, "bases-application-draft-desktop")
        _act(page, "submit")
        expect(page.get_by_test_id("app-status")).to_have_text("材料审核中")
        app = Application.objects.get(base=base)
        _sign_out(page)

        # The district office accepts the materials; three experts are drawn.
        sign_in_staff(page, url, a.admin.user.username, PASSWORD)
        visit(page, f"{url}/bases/applications/{app.pk}/")
        _act(page, "accept")
        expect(page.get_by_test_id("app-status")).to_have_text("专家评审")
        _sign_out(page)

        # Each expert scores on a phone, item by item.
        for i, expert in enumerate(drawn):
            phone.context.clear_cookies()
            sign_in_staff(phone, url, expert.user.username, PASSWORD)
            visit(phone, f"{url}/bases/applications/{app.pk}/")
            inputs = phone.locator("[data-testid=score-form] input[id^=id_item_]")
            for k in range(inputs.count()):
                most = float(inputs.nth(k).get_attribute("max"))
                inputs.nth(k).fill(str(int(most) - i))
            if i == 0:
                screenshot(phone, "bases-expert-scores-phone")
            phone.get_by_test_id("send-scores").click()
            phone.wait_for_load_state("networkidle")
            expect(phone.locator("#alerts")).to_contain_text("您的评分已提交")
        phone.context.clear_cookies()

        # The office closes the review, records the inspection and certifies: the notice begins.
        sign_in_staff(page, url, a.admin.user.username, PASSWORD)
        visit(page, f"{url}/bases/applications/{app.pk}/")
        expect(page.get_by_test_id("mean-total")).to_have_text("95.0")  # 100, 95, 90
        screenshot(page, "bases-score-sheet-desktop")
        _act(page, "to_inspection")
        page.fill("#id_inspect-inspected_on", timezone.localdate(clock.now()).isoformat())
        page.fill("#id_inspect-inspectors", "区科协 李建华")
        page.fill("#id_inspect-findings", "展厅与安全设施完好，讲解员在岗。")
        page.check("input[name=inspect-passed][value=yes]")
        _act(page, "inspect")
        page.select_option("#id_certify-term_years", "3")
        _act(page, "certify")
        expect(page.get_by_test_id("app-status")).to_have_text("公示中")
        visit(page, page.url)
        screenshot(page, "bases-notice-desktop")
    # Ten days later the notice is over: the office confirms, and the certificate is issued.
    visit(page, f"{url}/bases/applications/{app.pk}/")
    _act(page, "confirm")
    expect(page.get_by_test_id("app-status")).to_have_text("已认定")
    assert page.get_by_test_id("certificate").is_visible()
    visit(page, page.url)
    base.refresh_from_db()
    assert base.standing == "certified" and base.term_start == timezone.localdate()
    today = timezone.localdate()
    activities.venue_publish_slots(
        actor=a.base_staff, venue=base.venue, first_day=today + timedelta(days=1), last_day=today + timedelta(days=7)
    )

    # The base's staff attach the introduction of an exhibit, a piece already published in the science library.
    add_reviewers(world)
    piece = published(a, title="长征火箭模型讲解", topics=["astronomy"], populations=["youth"])
    _sign_out(page)
    sign_in_staff(page, url, a.base_staff.user.username, PASSWORD)
    visit(page, f"{url}/bases/manage/{base.pk}/")
    page.get_by_role("link", name="关联科普资源").click()
    page.wait_for_load_state("networkidle")
    page.fill("#a-q", "火箭")
    page.locator("form[role=search] button[type=submit]").click()
    page.wait_for_load_state("networkidle")
    visit(page, page.url)
    page.select_option(f"#label-{piece.pk}", "exhibit")
    page.get_by_test_id(f"attach-{piece.pk}").click()
    page.wait_for_load_state("networkidle")
    assert page.url.rstrip("/").endswith(f"/bases/{base.pk}")
    expect(page.get_by_test_id("attached-resources")).to_contain_text("长征火箭模型讲解")

    # A resident finds it on the public map on a phone and books a visit.
    page = phone
    sign_in_resident(page, url, a.resident.user.phone)
    visit(page, f"{url}/bases/")
    district = page.get_by_test_id(f"map-district-{a.place.code}")
    assert "1" in district.get_attribute("aria-label")
    screenshot(page, "bases-list-phone")
    page.locator(f"a[href='?district={a.place.code}']").first.click()
    page.wait_for_load_state("networkidle")
    expect(page.get_by_test_id("base-results")).to_contain_text("大兴航天科普馆")
    visit(page, page.url)
    page.get_by_role("link", name="大兴航天科普馆").click()
    page.wait_for_load_state("networkidle")
    visit(page, page.url)
    assert page.locator('meta[property="og:title"]').get_attribute("content") == "大兴航天科普馆"
    attached = page.get_by_test_id("attached-resources")
    expect(attached).to_contain_text("展品介绍")
    expect(attached).to_contain_text("长征火箭模型讲解")
    screenshot(page, "bases-detail-phone")
    page.get_by_test_id("book").click()
    page.wait_for_load_state("networkidle")
    visit(page, page.url)
    # Who comes is the resident's to say (a counted figure is never defaulted): nothing is chosen for her.
    population = page.locator("select[name=population]").first
    assert population.input_value() == ""
    population.select_option("elderly")
    page.get_by_test_id("signup").first.click()
    page.wait_for_load_state("networkidle")
    assert page.get_by_test_id("reg-status").inner_text() == "已确认"
    assert Registration.objects.filter(user=a.resident.user, session__activity__venue=base.venue).count() == 1

    # Elder mode: the list and the base page, larger and still clean.
    visit(page, f"{url}/bases/")
    page.get_by_test_id("elder-toggle").click()
    page.wait_for_load_state("networkidle")
    assert "elder" in (page.locator("html").get_attribute("class") or "")
    assert_accessible(page, context="bases list, elder mode")
    screenshot(page, "bases-list-phone-elder")
    visit(page, f"{url}/bases/{base.pk}/")
    expect(page.get_by_test_id("attached-resources")).to_contain_text("长征火箭模型讲解")
    screenshot(page, "bases-detail-phone-elder")
    visit(desk, f"{url}/bases/")
    screenshot(desk, "bases-list-desktop")
    assert Base.objects.get(pk=base.pk).standing == "certified"
