"""The library in a real browser: a unit writes a video, an expert and an editor approve it, the editor
pushes it to the elderly of one street, and a resident there finds it in the inbox and the feed and
reads it in elder mode. Every page is checked with axe-core; screenshots at phone and desktop size."""

from pathlib import Path

import pytest

from kepu.accounts.models import User
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
from kepu.resources.models import Push, Resource
from kepu.resources.tests.factories import MP4_HEAD, VTT, add_reviewers, png

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


@pytest.fixture
def phone_page(browser):
    context = browser.new_context(viewport=PHONE, locale="zh-CN")
    page = context.new_page()
    yield page
    context.close()


@pytest.fixture
def desk_page(browser):
    context = browser.new_context(viewport=DESKTOP, locale="zh-CN")
    page = context.new_page()
    yield page
    context.close()


def as_staff(page, base, actor):
    page.context.clear_cookies()
    sign_in_staff(page, base, actor.user.username, PASSWORD)


def act(page, name):
    page.locator(f"[data-testid=action-{name}] button[type=submit]").click()
    page.wait_for_load_state("networkidle")
    assert_accessible(page, context=f"after {name}")


def files(tmp_path: Path) -> dict:
    out = {"mp4": tmp_path / "rain.mp4", "vtt": tmp_path / "rain.vtt", "png": tmp_path / "rain.png"}
    out["mp4"].write_bytes(MP4_HEAD)
    out["vtt"].write_bytes(VTT)
    out["png"].write_bytes(png((640, 360), (11, 78, 162)))
    return {k: str(v) for k, v in out.items()}


def upload(page, role, path, alt=""):
    form = page.get_by_test_id("upload")
    form.locator("select[name=role]").select_option(role)
    form.locator("input[type=file]").set_input_files(path)
    if alt:
        form.locator("input[name=alt]").fill(alt)
    form.locator("button[type=submit]").click()
    page.wait_for_load_state("networkidle")


def test_a_video_from_writing_to_an_elder_reading_it(desk_page, phone_page, live_server, world, tmp_path):
    w = add_reviewers(world)
    a, base = w.a, live_server.url
    resident = a.resident.user
    User.objects.filter(pk=resident.pk).update(key_population="elderly", elder_mode=True)
    media = files(tmp_path)
    page = desk_page

    # The unit (区卫健委's editor) writes a video piece and uploads its video, captions and cover.
    as_staff(page, base, a.unit_staff)
    visit(page, f"{base}/resources/manage/")
    page.get_by_test_id("new-piece").click()
    page.wait_for_load_state("networkidle")
    form = page.get_by_test_id("piece-form")
    form.locator("select[name=kind]").select_option("video")
    form.locator("input[name=title]").fill("暴雨内涝时如何自救")
    form.locator("textarea[name=summary]").fill("积水漫过膝盖不要涉水前行，远离电线杆和井盖。")
    form.locator("textarea[name=transcript]").fill("暴雨来了，先看预警。积水漫过膝盖，不要涉水前行。")
    form.locator("input[name=topics][value=safety]").check()
    form.locator("input[name=populations][value=elderly]").check()
    form.locator("select[name=reading_level]").select_option("general")
    form.locator("select[name=review_field]").select_option("safety")
    form.locator("input[name=author]").fill("李工程师")
    form.locator("select[name=licence]").select_option("public_service")
    assert_accessible(page, context="new piece form")
    screenshot(page, "resources-form-desktop")
    form.locator("button[type=submit]").click()
    page.wait_for_load_state("networkidle")
    r = Resource.objects.get()
    assert page.url.endswith(f"/resources/manage/{r.pk}/")
    upload(page, "media", media["mp4"])
    upload(page, "captions", media["vtt"])
    upload(page, "cover", media["png"], alt="暴雨中积水的街道")
    visit(page, page.url)
    screenshot(page, "resources-manage-unit-desktop")
    act(page, "submit")

    # The district office's editor sends it to an expert of the library in the field (safety).
    as_staff(page, base, a.admin)
    visit(page, f"{base}/resources/manage/{r.pk}/")
    page.get_by_test_id("action-assign").locator("select").select_option(str(a.safety_expert.user.pk))
    act(page, "assign")

    # The expert approves the science (on a phone).
    phone = phone_page
    as_staff(phone, base, a.safety_expert)
    visit(phone, f"{base}/resources/manage/")
    assert "暴雨内涝时如何自救" in phone.get_by_test_id("waiting").inner_text()
    visit(phone, f"{base}/resources/manage/{r.pk}/")
    screenshot(phone, "resources-review-expert-phone")
    phone.get_by_test_id("action-approve_science").locator("textarea").fill("科学准确，建议保留。")
    act(phone, "approve_science")

    # The editor publishes it and pushes it to the elderly of 甲街道.
    visit(page, f"{base}/resources/manage/{r.pk}/")
    act(page, "publish")
    assert page.get_by_test_id("status").inner_text() == "已发布"
    page.get_by_test_id("push-link").first.click()
    page.wait_for_load_state("networkidle")
    assert_accessible(page, context="push form")
    push_form = page.get_by_test_id("push-form")
    push_form.locator("input[name=populations][value=elderly]").check()
    push_form.locator(f"input[name=places][value='{a.streets[0].code}']").check()
    screenshot(page, "resources-push-form-desktop")
    push_form.locator("button[type=submit]").click()
    page.wait_for_load_state("networkidle")
    push = Push.objects.get()
    assert page.url.endswith(f"/resources/pushes/{push.pk}/")
    progress = page.get_by_test_id("push-progress")
    progress.wait_for(state="visible")
    page.wait_for_selector("[data-testid=push-progress][data-status=done]")
    assert "1 / 1" in page.get_by_test_id("push-counts").inner_text()
    assert_accessible(page, context="push progress")
    screenshot(page, "resources-push-progress-desktop")

    # A resident of that street, in elder mode on her phone: the inbox, the feed, the reading.
    phone.context.clear_cookies()
    sign_in_resident(phone, base, resident.phone)
    visit(phone, f"{base}/inbox/")
    inbox = phone.get_by_test_id("inbox")
    assert "暴雨内涝时如何自救" in inbox.inner_text()
    screenshot(phone, "resources-inbox-elder-phone")
    visit(phone, f"{base}/resources/for-you/")
    assert (
        phone.get_by_test_id("feed").locator("article").first.get_by_role("link").inner_text() == "暴雨内涝时如何自救"
    )
    assert "推送给你" in phone.get_by_test_id(f"why-{r.pk}").inner_text()
    screenshot(phone, "resources-feed-elder-phone")
    inbox_link = f"{base}/inbox/"
    visit(phone, inbox_link)
    phone.get_by_test_id("inbox").get_by_role("button", name="暴雨内涝时如何自救").click()
    phone.wait_for_load_state("networkidle")
    assert phone.url.endswith(f"/resources/{r.pk}/?push={push.pk}")
    assert "elder" in phone.locator("html").get_attribute("class")
    piece = phone.get_by_test_id("piece")
    assert "res-elder" in piece.get_attribute("class")
    assert phone.locator("video track[kind=captions]").count() == 1
    assert phone.locator("details.res-transcript[open]").count() == 1  # the transcript is open in elder mode
    assert_accessible(phone, context="elder reading")
    screenshot(phone, "resources-read-elder-phone")
    push.refresh_from_db()
    assert push.opened == 1

    # The library itself, for the record (phone, elder mode; desktop).
    visit(phone, f"{base}/resources/?q=内涝")
    screenshot(phone, "resources-library-elder-phone")
    visit(page, f"{base}/resources/")
    screenshot(page, "resources-library-desktop")
    visit(page, f"{base}/resources/{r.pk}/")
    screenshot(page, "resources-detail-desktop")
