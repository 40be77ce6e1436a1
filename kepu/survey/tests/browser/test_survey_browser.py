"""The survey in a real browser: a resident on a phone in elder mode, the office's review, the job, the results."""

import pytest

from kepu.accounts.tests.factories import PASSWORD
from kepu.core.testing.browser import (
    DESKTOP,
    PHONE,
    assert_accessible,
    screenshot,
    sign_in_resident,
    sign_in_staff,
    visit,
)
from kepu.survey.models import LiteracyEstimate, Response
from kepu.survey.tests.factories import filled_round

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


def answer_current(page, q):
    for key in q.answer:
        page.locator(f"label[for=opt-{key}]").click()
    page.get_by_test_id("next").click()
    page.wait_for_load_state("networkidle")


def test_resident_answers_on_a_phone_office_approves_job_runs_results_show(
    phone_page, desktop_page, live_server, world
):
    filled = filled_round(world, n_per_community=3)
    round_ = filled.round
    questions = list(round_.bank.questions.order_by("position"))
    base = live_server.url

    # A resident on her phone, in elder mode.
    page = phone_page
    sign_in_resident(page, base, world.a.resident.user.phone)
    page.get_by_test_id("elder-toggle").click()
    page.wait_for_load_state("networkidle")
    visit(page, f"{base}/survey/")
    assert "elder" in page.locator("html").get_attribute("class")
    screenshot(page, "survey-home-resident-elder-phone")
    page.get_by_role("link", name="参加调查").click()
    page.wait_for_load_state("networkidle")
    assert_accessible(page, context="start")
    page.select_option("#id_community", world.a.communities[0].code)
    page.get_by_label("女").check()
    page.fill("#id_age", "67")
    page.get_by_label("初中").check()
    page.get_by_label("城镇").check()
    page.get_by_label("老年人").check()
    screenshot(page, "survey-start-elder-phone")
    page.get_by_test_id("start").click()
    page.wait_for_load_state("networkidle")

    # One question per screen with a progress indicator; big tap targets.
    assert "第 1 题，共 20 题" in page.content()
    assert_accessible(page, context="question 1")
    box = page.locator("label.choice").first.bounding_box()
    assert box["height"] >= 56 and box["width"] >= 300
    screenshot(page, "survey-question-elder-phone")
    for q in questions[:3]:
        answer_current(page, q)
    # She stops, comes back later and continues at question 4.
    visit(page, f"{base}/survey/")
    page.get_by_role("link", name="继续答题").click()
    page.wait_for_load_state("networkidle")
    assert "第 4 题，共 20 题" in page.content()
    assert page.locator("progress").get_attribute("value") == "3"
    for number, q in enumerate(questions[3:], start=4):
        assert_accessible(page, context=f"question {number}")
        if q.kind == "multiple":
            screenshot(page, "survey-question-multiple-elder-phone")
        answer_current(page, q)
    assert_accessible(page, context="finish")
    page.get_by_test_id("submit").click()
    page.wait_for_load_state("networkidle")
    assert_accessible(page, context="submitted")
    assert page.get_by_test_id("response-status").inner_text() == "待审核"
    mine = Response.objects.get(respondent=world.a.resident.user)

    # The district office approves it.
    office = desktop_page
    sign_in_staff(office, base, world.a.admin.user.username, PASSWORD)
    visit(office, f"{base}/survey/rounds/{round_.pk}/review/")
    screenshot(office, "survey-queue-district-desktop")
    office.get_by_role("link", name=f"#{mine.pk}", exact=True).click()
    office.wait_for_load_state("networkidle")
    assert_accessible(office, context="review")
    office.get_by_label("通过", exact=True).check()
    office.get_by_role("button", name="保存审核意见").click()
    office.wait_for_load_state("networkidle")
    mine.refresh_from_db()
    assert mine.status == "approved"
    visit(office, f"{base}/survey/rounds/{round_.pk}/")
    screenshot(office, "survey-round-district-desktop")

    # The city office runs the job (the immediate backend in tests) and reads the results.
    office.context.clear_cookies()
    sign_in_staff(office, base, world.city_admin.user.username, PASSWORD)
    visit(office, f"{base}/survey/rounds/{round_.pk}/")
    office.get_by_test_id("run-estimation").click()
    office.wait_for_load_state("networkidle")
    assert_accessible(office, context="after estimation")
    visit(office, f"{base}/survey/rounds/{round_.pk}/results/")
    city = LiteracyEstimate.objects.filter(kind="city").latest("run__created_at")
    shown = office.get_by_test_id("headline").inner_text()
    assert float(shown.split("%")[0]) == pytest.approx(city.estimate * 100, abs=0.006)
    assert office.get_by_test_id("chart-district").is_visible()
    assert office.get_by_test_id("table-district").locator("tbody tr").count() == 2
    screenshot(office, "survey-results-city-desktop")
    with office.expect_download() as download:
        office.get_by_test_id("xlsx").click()
    assert download.value.suggested_filename.endswith(".xlsx")

    # The resident sees her own score now, and the results are also readable on a phone.
    visit(page, f"{base}/survey/responses/{mine.pk}/")
    assert "100" in page.get_by_test_id("my-score").inner_text()
    screenshot(page, "survey-score-elder-phone")
    phone_office = office.context.browser.new_context(viewport=PHONE, locale="zh-CN").new_page()
    sign_in_staff(phone_office, base, world.city_admin.user.username, PASSWORD)
    visit(phone_office, f"{base}/survey/rounds/{round_.pk}/results/")
    screenshot(phone_office, "survey-results-city-phone")
    phone_office.context.close()
