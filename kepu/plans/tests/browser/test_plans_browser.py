"""In a real browser: an office imports a plan, fixes a unit match, publishes; a unit reports; supervision shows it."""

import pytest

from kepu.accounts.tests.factories import PASSWORD
from kepu.core.testing.browser import DESKTOP, PHONE, assert_accessible, screenshot, sign_in_staff, visit
from kepu.plans.models import NodeKind, Plan
from kepu.plans.tests.factories import SAMPLE_PLAN

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


@pytest.fixture
def desktop_page(browser):
    context = browser.new_context(viewport=DESKTOP, locale="zh-CN")
    page = context.new_page()
    yield page
    context.close()


@pytest.fixture
def phone_page(browser):
    context = browser.new_context(viewport=PHONE, locale="zh-CN")
    page = context.new_page()
    yield page
    context.close()


def test_import_correct_publish_report_supervise(desktop_page, phone_page, live_server, world, settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path
    page = desktop_page
    base = live_server.url
    sign_in_staff(page, base, world.a.admin.user.username, PASSWORD)

    visit(page, f"{base}/plans/")
    page.get_by_role("link", name="导入计划").click()
    page.wait_for_load_state("networkidle")
    visit(page, page.url)
    page.set_input_files("input[name=document]", files=[
        {"name": "2026年大兴区科普工作要点.txt", "mimeType": "text/plain", "buffer": SAMPLE_PLAN.encode()}])
    page.click("form button[type=submit].btn-block")
    page.wait_for_load_state("networkidle")
    assert "/plans/import/" in page.url
    visit(page, page.url)
    assert page.locator("#line-1").inner_text() == "2026年大兴区科普工作要点"
    assert page.locator(".unit-pending").first.is_visible()
    screenshot(page, "plans-import-review-desktop")

    # Correct the one unit the importer could not resolve: 区宣传局 is meant as the 应急局 here.
    picker = page.get_by_test_id("pick-2.1-1")
    picker.select_option(str(world.a.unit2.pk))
    picker.locator("xpath=ancestor::form").get_by_role("button").click()
    page.wait_for_function("() => !document.querySelector('[data-testid=\"pick-2.1-1\"]')")
    assert world.a.unit2.name in page.get_by_test_id("units-2.1").inner_text()
    assert page.locator("#pending-count").inner_text() == "每个单位都已匹配。"
    assert Plan.objects.count() == 0  # nothing saved before publishing
    assert_accessible(page, context="review after the htmx swap")
    # The document names 区科协 first for 2.1, but the office decides the 应急局 leads it.
    page.get_by_test_id("lead-2.1-1").click()
    page.wait_for_function("() => !document.querySelector('[data-testid=\"lead-2.1-1\"]')")
    assert page.get_by_test_id("lead-2.1-0").is_visible()
    assert_accessible(page, context="review after changing the lead unit")
    page.get_by_test_id("publish").click()
    page.wait_for_load_state("networkidle")
    plan = Plan.objects.get()
    assert page.url.endswith(f"/plans/{plan.pk}/")
    visit(page, page.url)
    screenshot(page, "plans-detail-desktop")
    task = plan.nodes.filter(kind=NodeKind.TASK).order_by("position")[0]
    assert task.lead_unit == world.a.unit
    assert plan.nodes.filter(kind=NodeKind.TASK).order_by("position")[2].lead_unit == world.a.unit2

    # The unit reports on its phone, with a photo as evidence.
    unit = phone_page
    sign_in_staff(unit, base, world.a.unit_staff.user.username, PASSWORD)
    visit(unit, f"{base}/plans/tasks/")
    screenshot(unit, "plans-my-tasks-phone")
    unit.get_by_role("link", name="报送进展").first.click()
    unit.wait_for_load_state("networkidle")
    visit(unit, unit.url)
    unit.fill("textarea[name=text]", "已在两个社区开展健康讲座10场。")
    unit.select_option("select[name=target]", str(task.targets.get().pk))
    unit.fill("input[name=value]", "10")
    unit.set_input_files("input[name=files]", files=[
        {"name": "讲座照片.jpg", "mimeType": "image/jpeg", "buffer": b"\xff\xd8\xff\xe0jpeg"}])
    unit.get_by_test_id("submit-report").click()
    unit.wait_for_load_state("networkidle")
    visit(unit, unit.url)
    assert "讲座照片.jpg" in unit.content()
    # Half of the target with a month left is "at risk"; earlier in the year it would be "on track".
    status = unit.get_by_test_id("task-status").inner_text()
    assert status in ("按计划推进", "有风险"), status
    screenshot(unit, "plans-task-reported-phone")
    visit(unit, f"{base}/plans/{plan.pk}/evaluation/")  # the unit sees the basis of its own score
    assert world.a.unit.name in unit.content() and world.a.unit2.name not in unit.content()
    screenshot(unit, "plans-evaluation-unit-phone")

    # The office sees it in the supervision view.
    visit(page, f"{base}/plans/{plan.pk}/supervision/")
    row = page.get_by_test_id("by-task").locator("tr", has_text=task.title[:10])
    assert "50%" in row.inner_text() and status in row.inner_text() and "未报送" not in row.inner_text()
    screenshot(page, "plans-supervision-desktop")
    visit(page, f"{base}/plans/{plan.pk}/evaluation/")
    screenshot(page, "plans-evaluation-desktop")
    visit(page, f"{base}/plans/{plan.pk}/report/")
    screenshot(page, "plans-printable-desktop")
    visit(page, f"{base}/plans/tasks/{task.pk}/")
    screenshot(page, "plans-task-office-desktop")
    page.set_viewport_size(PHONE)
    visit(page, f"{base}/plans/{plan.pk}/supervision/")
    screenshot(page, "plans-supervision-phone")

    # A task the document did not have is added by hand, under the first section, on the phone.
    visit(page, f"{base}/plans/{plan.pk}/")
    form = page.locator("#add-node form")
    form.locator("select[name=n-parent]").select_option(str(task.parent_id))
    form.locator("input[name=n-title]").fill("开展老年人智能手机培训")
    form.locator("select[name=n-lead_unit]").select_option(str(world.a.unit2.pk))
    form.get_by_role("button", name="增加").click()
    page.wait_for_load_state("networkidle")
    visit(page, page.url)
    assert "已添加：开展老年人智能手机培训" in page.content()
    assert page.get_by_role("link", name="开展老年人智能手机培训").is_visible()
    added = plan.nodes.get(title="开展老年人智能手机培训")
    assert (added.parent_id, added.lead_unit) == (task.parent_id, world.a.unit2)
    screenshot(page, "plans-task-added-phone")
    visit(page, f"{base}/plans/new/")

    # At the end of the period the office closes the plan; the page says the evaluation is final.
    page.set_viewport_size(DESKTOP)
    visit(page, f"{base}/plans/{plan.pk}/")
    page.locator("details", has_text="计划期满").locator("summary").click()
    page.get_by_role("button", name="结束计划").click()
    page.wait_for_load_state("networkidle")
    visit(page, page.url)
    assert "考评结果为最终结果" in page.locator(".notice").first.inner_text()
    assert page.get_by_role("button", name="重新开启").is_visible()
    plan.refresh_from_db()
    assert plan.is_closed
    screenshot(page, "plans-closed-desktop")
    page.set_viewport_size(PHONE)
    visit(page, page.url)
    screenshot(page, "plans-closed-phone")
