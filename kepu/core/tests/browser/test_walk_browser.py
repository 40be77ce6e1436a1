"""Walk the demo as every role, following the links people see: no page may refer to or load anything from
another host (no CDN, nothing fetched from the internet), show English on a Chinese page (outside data and the
few technical words below), answer with an error, or have a serious or critical axe finding.

Each role walks up to ``MAX_PAGES`` kinds of page (a kind is the path with its numbers taken out) with the test
client, which reads every page's text and addresses; then a real browser (a phone, residents in elder mode)
opens each kind of page once per layout, as the role that found it, and runs axe there, with every request the
page makes checked for its host.
"""

from __future__ import annotations

import re
from collections import deque
from html.parser import HTMLParser
from urllib.parse import urljoin, urlsplit

import pytest
from django.core.management import call_command
from django.test import Client

from kepu.accounts.seed import DEMO_PASSWORD
from kepu.core.testing.browser import PHONE, assert_accessible, sign_in_resident, sign_in_staff

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

MAX_PAGES = 40

#: (who, sign-in, elder mode): the demo's logins, one per role.
WALKERS = [
    ("visitor", None, True),
    ("resident", "13800000002", True),
    ("resident-volunteer", "13800000001", False),
    ("community", "dx.community", False),
    ("street", "dx.street", False),
    ("unit", "dx.health", False),
    ("team", "dx.team", False),
    ("base", "dx.base", False),
    ("school", "dx.school", False),
    ("expert", "dx.expert", False),
    ("district", "dx.office", False),
    ("city", "city.admin", False),
]

#: Links not followed: they sign out, download a file, change something on GET, or leave the pages.
NOT_FOLLOWED = re.compile(
    r"(/logout|\.xlsx|\.csv|\.ics|\.png|\.pdf|\.json|/download/|^/api/|^/admin/|^/i18n/|^/static/|^/media/"
    r"|^/inbox/\d+/$|/qr\.png|/feed|^/favicon)"
)

#: Latin words that are not English prose: names of formats and standards.
TECHNICAL = {"API", "iCalendar", "Excel", "JSON", "JPEG", "JPG", "PNG", "WebP", "PDF", "xlsx", "docx", "txt", "Word"}
#: A statistical term the survey's results name as such (as a Chinese statistics text would).
TECHNICAL |= {"logit"}
#: Loanwords Chinese writes in Latin letters (安装国家反诈中心App).
TECHNICAL |= {"App", "APP", "Wi-Fi", "WiFi"}

#: Elements whose text is not the interface's: code, data marked as such, the language switch, scripts.
SKIPPED = {"code", "kbd", "script", "style", "noscript", "svg"}


class PageReader(HTMLParser):
    """The words a person reads on a page (text and the attributes read out), its links and its addresses."""

    def __init__(self):
        super().__init__(convert_charrefs=True)
        self.words: list[str] = []
        self.links: list[str] = []
        self.addresses: list[str] = []
        self._skip: list[str] = []

    def handle_starttag(self, tag, attrs):
        attrs = dict(attrs)
        for name in ("src", "href", "action", "srcset", "poster", "formaction"):
            if attrs.get(name):
                self.addresses.append(attrs[name])
        if tag == "a" and attrs.get("href"):
            self.links.append(attrs["href"])
        hidden = tag in SKIPPED or attrs.get("translate") == "no" or attrs.get("lang") == "en"
        if tag in ("input", "img", "br", "meta", "link", "hr", "source", "use", "path", "circle", "rect"):
            if not self._skip:
                self.words += [attrs[a] for a in ("aria-label", "title", "placeholder", "alt") if attrs.get(a)]
            return
        if hidden or self._skip:
            self._skip.append(tag)
            return
        self.words += [attrs[a] for a in ("aria-label", "title", "placeholder") if attrs.get(a)]

    def handle_endtag(self, tag):
        if self._skip and self._skip[-1] == tag:
            self._skip.pop()

    def handle_data(self, data):
        if not self._skip:
            self.words.append(data)


def kind_of(path: str) -> str:
    return re.sub(r"\d+", "N", path)


def english_in(text: str) -> list[str]:
    words = re.findall(r"[A-Za-z][A-Za-z'’-]+", text)
    return [w for w in words if w not in TECHNICAL and not (w.isupper() and len(w) <= 5)]


def client_for(login: str | None, elder: bool) -> Client:
    from kepu.accounts.models import User

    client = Client()
    if elder:
        client.cookies["kepu_elder"] = "1"
    if login:
        user = User.objects.get(username=login) if not login.isdigit() else _by_phone(login)
        client.force_login(user)
    return client


def _by_phone(phone: str):
    from kepu.accounts.models import User
    from kepu.core.pii import blind_index

    return User.objects.get(phone_index=blind_index(phone, "phone"))


def walk(who: str, client: Client, problems: list[str]) -> dict[str, str]:
    """The kinds of page this role reaches, each with one path; the problems found on the way."""
    queue = deque(["/", "/home/"])
    kinds: dict[str, str] = {}
    files: set[str] = set()
    while queue and len(kinds) < MAX_PAGES:
        path = queue.popleft()
        kind = kind_of(urlsplit(path).path)
        if kind in kinds:
            continue
        response = client.get(path, follow=True)
        final = response.redirect_chain[-1][0] if response.redirect_chain else path
        kind = kind_of(urlsplit(final).path)
        kinds.setdefault(kind_of(urlsplit(path).path), final)
        kinds.setdefault(kind, final)
        where = f"{who} {path}"
        if response.status_code >= 400:
            problems.append(f"{where}: answered {response.status_code}")
            continue
        if not response.get("Content-Type", "").startswith("text/html"):
            files.add(kind)  # a download (a piece's file, say): the browser would save it, not show a page
            continue
        page = PageReader()
        page.feed(response.content.decode())
        for address in page.addresses:
            host = urlsplit(address).netloc
            if host and host != "testserver":
                problems.append(f"{where}: refers to another host: {address}")
        english = english_in("\n".join(page.words))
        if english:
            problems.append(f"{where}: English on a Chinese page: {sorted(set(english))[:8]}")
        for link in page.links:
            parts = urlsplit(urljoin("http://testserver" + final, link))
            if parts.netloc != "testserver" or NOT_FOLLOWED.search(parts.path):
                continue
            if kind_of(parts.path) not in kinds:
                queue.append(parts.path + (f"?{parts.query}" if parts.query and "page=" not in parts.query else ""))
    return {kind: path for kind, path in kinds.items() if kind not in files}


@pytest.fixture
def demo(transactional_db):
    call_command("seed_demo", "--quiet-logins")


def test_every_page_of_the_demo_for_every_role_is_local_chinese_and_accessible(browser, live_server, demo):
    base = live_server.url
    host = urlsplit(base).netloc
    problems: list[str] = []
    checked: set[tuple[str, bool]] = set()
    walked = 0
    for who, login, elder in WALKERS:
        kinds = walk(who, client_for(login, elder), problems)
        walked += len(kinds)
        assert len(kinds) >= 5, f"{who} reached only {sorted(kinds)}"
        todo = sorted({path for kind, path in kinds.items() if (kind_of(path), elder) not in checked})
        if not todo:
            continue
        context = browser.new_context(viewport=PHONE, locale="zh-CN")
        if elder:
            context.add_cookies([{"name": "kepu_elder", "value": "1", "url": base}])
        page = context.new_page()
        outside: list[str] = []
        page.on(
            "request",
            lambda request, outside=outside: (
                outside.append(request.url)
                if urlsplit(request.url).netloc not in (host, "") and not request.url.startswith(("data:", "blob:"))
                else None
            ),
        )
        if login and login.isdigit():
            sign_in_resident(page, base, login)
        elif login:
            sign_in_staff(page, base, login, DEMO_PASSWORD)
        for path in todo:
            if (kind_of(path), elder) in checked:
                continue
            checked.add((kind_of(path), elder))
            page.goto(base + path)  # "load": every script and style the page asks for has come
            try:
                assert_accessible(page, context=f"{who} {path}")
            except AssertionError as failure:
                problems.append(str(failure))
        problems.extend(f"{who}: loaded from another host: {url}" for url in outside)
        context.close()
    assert walked > 150 and len(checked) > 60
    assert not problems, f"{len(problems)} problems:\n" + "\n".join(problems)
