"""Helpers for Playwright browser tests: sign in, check accessibility with axe-core.

Every page a browser test visits must pass ``assert_accessible`` (no serious or critical
violations). axe-core comes from the axe-playwright-python package; nothing is fetched.
"""

from __future__ import annotations

import json
import re
from pathlib import Path

import axe_playwright_python

AXE_JS = Path(axe_playwright_python.__file__).parent / "axe.min.js"
PHONE = {"width": 390, "height": 844}
DESKTOP = {"width": 1366, "height": 900}


def assert_accessible(page, *, context: str = "") -> None:
    """Run axe-core (WCAG 2.1 A and AA rules) on the current page; fail on serious or critical findings."""
    if not page.evaluate("() => typeof window.axe !== 'undefined'"):
        page.add_script_tag(path=str(AXE_JS))
    result = page.evaluate(
        "async () => await axe.run(document, {runOnly: {type: 'tag', values: ['wcag2a', 'wcag2aa', 'wcag21a', 'wcag21aa']}})"
    )
    bad = [v for v in result["violations"] if v.get("impact") in ("serious", "critical")]
    if bad:
        lines = [
            f"{v['id']} ({v['impact']}): {v['help']} — " + "; ".join(n["target"][0] if n["target"] else "?" for n in v["nodes"][:5])
            for v in bad
        ]
        raise AssertionError(f"axe found {len(bad)} serious/critical violations on {context or page.url}:\n" + "\n".join(lines))


def visit(page, url: str) -> None:
    """Go to ``url`` and check the page with axe-core."""
    page.goto(url)
    page.wait_for_load_state("networkidle")
    assert_accessible(page, context=url)


def sign_in_staff(page, base_url: str, username: str, password: str) -> None:
    visit(page, f"{base_url}/accounts/login/")
    page.fill("input[name=username]", username)
    page.fill("input[name=password]", password)
    page.click("form button[type=submit].btn-block")
    page.wait_for_load_state("networkidle")


def sign_in_resident(page, base_url: str, phone: str) -> None:
    """Phone + one-time code; the code is read from the test SMS outbox."""
    from kepu.core.messaging import LocmemSmsBackend

    visit(page, f"{base_url}/accounts/phone/")
    page.fill("input[name=phone]", phone)
    page.click("#login-steps button[type=submit]")
    page.wait_for_selector("input[name=code]")
    code = re.search(r"\d{6}", LocmemSmsBackend.outbox[-1].text).group(0)
    page.fill("input[name=code]", code)
    page.click("#login-steps button[type=submit]")
    page.wait_for_load_state("networkidle")


def screenshot(page, name: str) -> None:
    """Save a screenshot under var/screenshots/ (for people to look at; not asserted)."""
    out = Path(__file__).resolve().parents[3] / "var" / "screenshots"
    out.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=str(out / f"{name}.png"), full_page=True)


__all__ = ["assert_accessible", "visit", "sign_in_staff", "sign_in_resident", "screenshot", "PHONE", "DESKTOP", "json"]
