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
        # Evaluated through the browser's debugging protocol, not as a <script> tag: the pages' Content-Security-
        # Policy (scripts from our own files only) stays on while axe runs.
        page.evaluate(AXE_JS.read_text(encoding="utf-8") + "\n;true")
    result = page.evaluate(
        "async () => await axe.run(document, "
        "{runOnly: {type: 'tag', values: ['wcag2a', 'wcag2aa', 'wcag21a', 'wcag21aa']}})"
    )
    bad = [v for v in result["violations"] if v.get("impact") in ("serious", "critical")]
    if bad:
        lines = [
            f"{v['id']} ({v['impact']}): {v['help']} — "
            + "; ".join(n["target"][0] if n["target"] else "?" for n in v["nodes"][:5])
            for v in bad
        ]
        raise AssertionError(
            f"axe found {len(bad)} serious/critical violations on {context or page.url}:\n" + "\n".join(lines)
        )


def visit(page, url: str) -> None:
    """Go to ``url`` and check the page with axe-core once it has loaded and htmx has nothing in flight (what the
    page fetches as it loads included). Not "networkidle": that waits half a second of silence on every page."""
    page.goto(url)
    page.wait_for_function(SETTLED)
    assert_accessible(page, context=url)


def sign_in_staff(page, base_url: str, username: str, password: str) -> None:
    visit(page, f"{base_url}/accounts/login/")
    page.fill("input[name=username]", username)
    page.fill("input[name=password]", password)
    page.click("main form button[type=submit].btn-block")
    page.wait_for_load_state("networkidle")


def sign_in_resident(page, base_url: str, phone: str) -> None:
    """Phone + one-time code; the code is read from the test SMS outbox."""
    from kepu.core.messaging import LocmemSmsBackend

    visit(page, f"{base_url}/accounts/phone/")
    page.fill("input[name=phone]", phone)
    page.check("input[name=agree]")
    page.click("#login-steps button[type=submit]")
    page.wait_for_selector("input[name=code]")
    code = re.search(r"\d{6}", LocmemSmsBackend.outbox[-1].text).group(0)
    page.fill("input[name=code]", code)
    page.get_by_test_id("sign-in-code").click()
    page.wait_for_load_state("networkidle")


#: The page has loaded and htmx has swapped and settled what it fetched (its new elements answer events only then).
SETTLED = (
    "() => document.readyState === 'complete'"
    " && !document.querySelector('.htmx-request, .htmx-swapping, .htmx-settling, .htmx-added')"
)


def htmx_settled(page) -> None:
    """Wait until htmx has swapped and settled what it fetched."""
    page.wait_for_function("() => window.htmx && (" + SETTLED + ")()")


#: The smallest target a finger may be asked to touch (MIIT 适老化: 48 px and up).
MIN_TARGET = 48


def tap(locator, *, what: str = "") -> None:
    """Click ``locator`` as a finger would, after checking it is at least 48 × 48 px."""
    locator.scroll_into_view_if_needed()
    box = locator.bounding_box()
    assert box is not None, f"{what or locator} is not on the screen"
    assert box["width"] >= MIN_TARGET and box["height"] >= MIN_TARGET, (
        f"{what or locator} is {box['width']:.0f} × {box['height']:.0f} px, smaller than {MIN_TARGET} px"
    )
    locator.click()


def type_into(locator, text: str, *, what: str = "") -> None:
    """Fill a field after checking it is a target a finger can hit (48 px high at least)."""
    locator.scroll_into_view_if_needed()
    box = locator.bounding_box()
    assert box is not None and box["height"] >= MIN_TARGET and box["width"] >= MIN_TARGET, f"{what or locator}: {box}"
    locator.fill(text)


def choose(locator, value: str, *, what: str = "") -> None:
    """Pick an option of a select after checking its size, like ``type_into``."""
    box = locator.bounding_box()
    assert box is not None and box["height"] >= MIN_TARGET and box["width"] >= MIN_TARGET, f"{what or locator}: {box}"
    locator.select_option(value)


def assert_no_sideways_scroll(page) -> None:
    """The page is never wider than the screen: the document's scroll width equals the viewport's."""
    widths = page.evaluate("() => [document.documentElement.scrollWidth, window.innerWidth]")
    assert widths[0] == widths[1], f"{page.url} scrolls sideways: {widths[0]} px wide on a {widths[1]} px screen"


def screenshot(page, name: str) -> None:
    """Save a screenshot under var/screenshots/ (for people to look at; not asserted)."""
    out = Path(__file__).resolve().parents[3] / "var" / "screenshots"
    out.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=str(out / f"{name}.png"), full_page=True)


__all__ = [
    "assert_accessible",
    "visit",
    "sign_in_staff",
    "sign_in_resident",
    "screenshot",
    "tap",
    "type_into",
    "choose",
    "assert_no_sideways_scroll",
    "htmx_settled",
    "PHONE",
    "DESKTOP",
    "json",
]
