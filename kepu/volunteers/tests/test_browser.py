"""In a real browser: a resident becomes a volunteer, serves, and gets a certificate that verifies; axe-clean."""

import re
from datetime import timedelta

import pytest
import segno
from pypdf import PdfReader

from kepu.accounts.tests.factories import PASSWORD
from kepu.activities.tests.factories import published_activity
from kepu.core import clock
from kepu.core.testing.browser import DESKTOP, PHONE, screenshot, sign_in_resident, sign_in_staff, visit
from kepu.volunteers.tests.factories import ExpertFactory, make_id_number, need_for

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


@pytest.fixture
def pages(browser):
    phone = browser.new_context(viewport=PHONE, locale="zh-CN", accept_downloads=True)
    desk = browser.new_context(viewport=DESKTOP, locale="zh-CN")
    yield phone.new_page(), desk.new_page()
    phone.close()
    desk.close()


def test_resident_volunteers_serves_and_gets_a_certificate_that_verifies(pages, live_server, world):
    resident_page, staff_page = pages
    base = live_server.url
    a = world.a

    # 1. The resident registers as a volunteer on a phone.
    sign_in_resident(resident_page, base, a.resident.user.phone)
    visit(resident_page, f"{base}/volunteers/")
    assert resident_page.url.endswith("/volunteers/register/")
    resident_page.fill("input[name=real_name]", "王芳")
    resident_page.fill("input[name=id_number]", make_id_number(77))
    # The street picker starts at the resident's own street, marked as hers.
    resident_page.get_by_test_id("place-chosen").wait_for()
    assert resident_page.locator("select[name=street]").input_value() == a.streets[0].code
    resident_page.check("input[name=availability][value=weekend]")
    resident_page.fill("input[name=skills]", "讲解、急救")
    resident_page.check("input[name=agree]")  # explicit consent to the real name and ID number
    resident_page.click("main form button[type=submit].btn-block")
    resident_page.wait_for_load_state("networkidle")
    assert resident_page.url.endswith("/volunteers/")
    visit(resident_page, resident_page.url)

    # 2. … and asks to join the district's team, which approves.
    resident_page.select_option("#join-org", label=a.team.name)
    resident_page.click("text=申请加入")
    resident_page.wait_for_load_state("networkidle")
    sign_in_staff(staff_page, base, a.team_staff.user.username, PASSWORD)
    visit(staff_page, f"{base}/volunteers/org/")
    staff_page.get_by_test_id("join-request").get_by_role("button", name="通过", exact=True).click()
    staff_page.wait_for_load_state("networkidle")
    assert "王芳" in staff_page.locator("table").inner_text()
    screenshot(staff_page, "volunteers-org-desktop")

    # 3. The organization posts a need; the volunteer signs up; the organization confirms.
    need = need_for(a.team_staff, a.streets[0], title="科技周讲解", hours=3)
    visit(resident_page, f"{base}/volunteers/needs/{need.pk}/")
    resident_page.get_by_test_id("sign-up").click()
    resident_page.wait_for_load_state("networkidle")
    visit(staff_page, f"{base}/volunteers/needs/{need.pk}/")
    staff_page.get_by_role("button", name="确认", exact=True).click()
    staff_page.wait_for_load_state("networkidle")
    assert staff_page.get_by_test_id("record-presence").count() == 1
    screenshot(staff_page, "volunteers-need-desktop")
    staff_page.set_viewport_size(PHONE)
    screenshot(staff_page, "volunteers-need-phone")
    staff_page.set_viewport_size(DESKTOP)

    # 4. On the day the team leader scans the volunteer's QR code: sign in, and (later) sign out.
    visit(resident_page, f"{base}/volunteers/")
    code = resident_page.get_by_test_id("my-code").inner_text().strip()
    qr = resident_page.locator("figure.qr svg").first.evaluate("el => el.outerHTML")
    scan_url = f"{base}/volunteers/scan/{code}/"
    assert _same_qr(qr, scan_url)
    screenshot(resident_page, "volunteers-me-phone")
    # The live server shares the test's clock: the need begins, and two hours of service pass.
    with clock.frozen_at(need.starts_at):
        visit(staff_page, scan_url)
        staff_page.get_by_test_id("sign-in").click()
        staff_page.wait_for_load_state("networkidle")
    with clock.frozen_at(need.starts_at + timedelta(hours=2)):
        visit(staff_page, scan_url)
        staff_page.get_by_test_id("sign-out").click()
        staff_page.wait_for_load_state("networkidle")
    assert "120" in staff_page.locator(".messages").inner_text()

    # 5. The volunteer sees the hours and downloads the certificate.
    visit(resident_page, f"{base}/volunteers/")
    assert resident_page.get_by_test_id("my-hours").inner_text() == "2.0"
    visit(resident_page, f"{base}/volunteers/hours/")
    resident_page.goto(f"{base}/volunteers/")
    resident_page.get_by_test_id("issue-certificate").click()
    resident_page.wait_for_load_state("networkidle")
    visit(resident_page, resident_page.url)
    number = resident_page.get_by_test_id("cert-number").inner_text().strip()
    verify_url = resident_page.get_by_test_id("verify-link").inner_text().strip()
    qr = resident_page.locator(".certificate figure.qr svg").evaluate("el => el.outerHTML")
    assert _same_qr(qr, verify_url)
    screenshot(resident_page, "volunteers-certificate-phone")
    resident_page.set_viewport_size(DESKTOP)
    screenshot(resident_page, "volunteers-certificate-desktop")
    resident_page.set_viewport_size(PHONE)
    with resident_page.expect_download() as download:
        resident_page.get_by_test_id("download-certificate").click()
    assert download.value.suggested_filename == f"certificate-{number}.pdf"
    pdf = PdfReader(download.value.path())
    text = re.sub(r"\s+", "", pdf.pages[0].extract_text())
    assert "王芳" in text and "2.0" in text and number in text and a.team.name in text
    # The address printed beside the PDF's QR code is the page's verify address.
    assert verify_url in text

    # 6. Anyone scanning the QR code sees that it is genuine.
    anyone = staff_page.context.browser.new_context(viewport=PHONE, locale="zh-CN").new_page()
    visit(anyone, verify_url)
    assert "真实有效" in anyone.get_by_test_id("verify-result").inner_text()
    assert "2.0" in anyone.get_by_test_id("verify-result").inner_text()
    anyone.context.close()


def test_office_finds_an_expert_fast_and_invites(pages, live_server, world):
    _phone, page = pages
    a = world.a
    ExpertFactory(
        district=a.place,
        name="张气象",
        field="earth",
        subfield="气象",
        is_emergency=True,
        emergency_fields=["disasters"],
        audiences=["youth"],
    )
    ExpertFactory(district=a.place, name="王营养", field="life", subfield="营养")
    sign_in_staff(page, live_server.url, a.admin.user.username, PASSWORD)
    visit(page, f"{live_server.url}/volunteers/experts/")
    page.check("#id_emergency")
    page.wait_for_function("() => !document.querySelector('#results').innerText.includes('王营养')")
    assert "张气象" in page.locator("#results").inner_text()
    screenshot(page, "volunteers-experts-desktop")
    page.click("text=张气象")
    page.wait_for_load_state("networkidle")
    visit(page, page.url)
    page.select_option("select[name=target]", "activity")
    page.fill("input[name=target_id]", str(published_activity(a.unit_staff).pk))
    page.get_by_role("button", name="邀请", exact=True).click()
    page.wait_for_load_state("networkidle")
    assert "已邀请，未答复" in page.content()
    visit(page, page.url)
    visit(page, f"{live_server.url}/volunteers/overview/")
    visit(page, f"{live_server.url}/volunteers/trainings/")


def _same_qr(svg_html: str, data: str) -> bool:
    """The page's QR code encodes ``data``: its modules match a code made from it."""
    expected = segno.make(data, error="m").svg_inline(scale=4, border=2, omitsize=True)

    def path(s):
        m = re.search(r' d="([^"]+)"', s)
        return m.group(1) if m else None

    return path(svg_html) is not None and path(svg_html) == path(expected)
