"""In a real browser: an office imports a plan, fixes a unit match, publishes; a unit reports; supervision shows it."""

import pytest

from kepu.accounts.tests.factories import PASSWORD
from kepu.core.testing.browser import DESKTOP, PHONE, assert_accessible, screenshot, sign_in_staff, visit
from kepu.plans.models import NodeKind, Plan
from kepu.plans.tests.factories import SAMPLE_PLAN
from kepu.plans.tests.importer.support import read_plan

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
    page.set_input_files(
        "input[name=document]",
        files=[{"name": "2026年大兴区科普工作要点.txt", "mimeType": "text/plain", "buffer": SAMPLE_PLAN.encode()}],
    )
    page.click("main form button[type=submit].btn-block")
    page.wait_for_load_state("networkidle")
    assert "/plans/import/" in page.url
    visit(page, page.url)
    assert page.locator("#line-1").inner_text() == "2026年大兴区科普工作要点"
    assert page.locator(".unit-pending").first.is_visible()
    screenshot(page, "plans-import-review-desktop")

    # Resolve the one name the importer could not: 区宣传局 is meant as the 应急局 here. Nothing is pre-selected
    # for it (no organization is 85% alike), so the choice is the office's.
    picker = page.get_by_test_id("resolve-区宣传局")
    assert picker.input_value() == ""
    picker.select_option(str(world.a.unit2.pk))
    picker.locator("xpath=ancestor::form").get_by_role("button").click()
    page.wait_for_load_state("networkidle")
    assert not page.get_by_test_id("resolve-区宣传局").count()
    assert world.a.unit2.name in page.get_by_test_id("units-2.1").inner_text()
    assert page.locator("#pending-count").inner_text() == "每个单位都已确定：匹配 6 个，不纳入 0 个。"
    assert Plan.objects.count() == 0  # nothing saved before publishing
    assert_accessible(page, context="review after resolving a name")
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
    unit.set_input_files(
        "input[name=files]",
        files=[{"name": "讲座照片.jpg", "mimeType": "image/jpeg", "buffer": b"\xff\xd8\xff\xe0jpeg"}],
    )
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


def upload_fixture(page, base: str, name: str) -> None:
    """Upload one of the importer's fixture documents on the import page, as the office would."""
    visit(page, f"{base}/plans/import/")
    page.set_input_files(
        "input[name=document]", files=[{"name": name, "mimeType": "text/plain", "buffer": read_plan(name).encode()}]
    )
    page.click("main form button[type=submit].btn-block")
    page.wait_for_load_state("networkidle")


def test_an_action_plan_is_checked_on_a_phone_and_on_a_desktop(desktop_page, phone_page, live_server, world):
    """The office reviews a three-year action plan: principles and safeguards are text, one unit is resolved
    once for three tasks, a principle is made a task, and the plan is published over 2024–2026."""
    page = phone_page
    base = live_server.url
    sign_in_staff(page, base, world.a.admin.user.username, PASSWORD)
    upload_fixture(page, base, "action_plan_2024_2026.txt")
    review_url = page.url
    visit(page, review_url)
    summary = page.get_by_test_id("summary").inner_text()
    assert "7 项任务" in summary and "10 部分作为计划正文保留" in summary and "10 项指标" in summary
    assert page.get_by_test_id("role-1.2.1").inner_text() == "计划正文"
    assert page.get_by_test_id("role-3.2").inner_text() == "任务"
    assert "到2026年" in page.get_by_test_id("target-1.3-0").inner_text()
    assert "基线 26.1%（2023年）" in page.get_by_test_id("target-1.3-0").inner_text()
    assert page.locator("input[name=end_year]").input_value() == "2026"
    screenshot(page, "plans-import-review-phone")

    # One name for three tasks.
    picker = page.get_by_test_id("resolve-区科普基地联盟")
    assert "共 3 处" in picker.locator("xpath=ancestor::form").inner_text()
    picker.select_option(str(world.a.unit2.pk))
    picker.locator("xpath=ancestor::form").get_by_role("button").click()
    page.wait_for_load_state("networkidle")
    assert "“区科普基地联盟”已在 3 处设定。" in page.content()
    for key in ("2.1.2", "2.2.1", "2.2.2"):
        assert world.a.unit2.name in page.get_by_test_id(f"units-{key}").inner_text()
    assert_accessible(page, context="review after resolving a name on the phone")

    # The first principle is to be supervised after all.
    page.get_by_test_id("role-1.2.1-task").click()
    page.wait_for_load_state("networkidle")
    assert page.get_by_test_id("role-1.2.1").inner_text() == "任务"
    assert "8 项任务" in page.get_by_test_id("summary").inner_text()
    page.get_by_test_id("elder-toggle").click()  # 长辈版: larger type, the same page
    page.wait_for_load_state("networkidle")
    assert "elder" in page.locator("html").get_attribute("class")
    assert_accessible(page, context="review in elder mode")
    screenshot(page, "plans-import-review-phone-elder")
    page.get_by_test_id("elder-toggle").click()
    page.wait_for_load_state("networkidle")

    page = desktop_page
    sign_in_staff(page, base, world.a.admin.user.username, PASSWORD)
    visit(page, review_url)
    screenshot(page, "plans-import-review-desktop-action-plan")
    # Task 1's 区科协 is matched; the office changes it on that task alone. The list comes when opened.
    units = page.get_by_test_id("units-2.1.1")
    units.locator("details summary", has_text="修改").first.click()
    picker = page.get_by_test_id("change-2.1.1-0")
    picker.wait_for()
    picker.select_option(str(world.a.unit.pk))
    picker.locator("xpath=ancestor::form").get_by_role("button", name="确定").click()
    page.wait_for_function(
        "name => document.querySelector('[data-testid=\"units-2.1.1\"]').innerText.includes(name)",
        arg=world.a.unit.name,
    )
    assert_accessible(page, context="review after changing one match")
    pickers = page.locator("select[data-testid^=resolve-]")
    for _left in range(pickers.count()):  # each name resolved leaves the list
        pickers.first.select_option("skip")
        pickers.first.locator("xpath=ancestor::form").get_by_role("button").click()
        page.wait_for_load_state("networkidle")
    assert pickers.count() == 0
    page.get_by_test_id("publish").click()
    page.wait_for_load_state("networkidle")
    plan = Plan.objects.get()
    assert (plan.period_label, plan.nodes.filter(kind=NodeKind.TASK).count()) == ("2024–2026", 8)
    visit(page, page.url)
    assert page.get_by_text("计划正文").first.is_visible()
    screenshot(page, "plans-detail-with-text-desktop")


def test_an_outlines_measures_are_tasks_until_the_office_says_otherwise(phone_page, live_server, world):
    """A 纲要 outline: each "——" measure is a task; unticking "——" items are tasks makes its projects the tasks."""
    page = phone_page
    base = live_server.url
    sign_in_staff(page, base, world.a.admin.user.username, PASSWORD)
    upload_fixture(page, base, "outline_2021_2035.txt")
    visit(page, page.url)
    assert page.get_by_test_id("bullets-as-tasks").is_checked()
    assert "18 项任务" in page.get_by_test_id("summary").inner_text()
    assert page.get_by_test_id("role-4.1.1").inner_text() == "任务"
    assert page.get_by_test_id("role-2.1").inner_text() == "计划正文"  # a principle written as "——"
    assert page.locator("input[name=end_year]").input_value() == "2035"
    screenshot(page, "plans-import-review-outline-phone")
    page.get_by_test_id("bullets-as-tasks").uncheck()
    page.get_by_role("button", name="应用").click()
    page.wait_for_load_state("networkidle")
    assert_accessible(page, context="outline with bullets as points")
    assert "10 项任务" in page.get_by_test_id("summary").inner_text()
    assert page.get_by_test_id("role-4.1").inner_text() == "任务"
    assert not page.get_by_test_id("role-4.1.1").count()
    assert "含 3 个要点" in page.get_by_test_id("node-4.1").inner_text()
