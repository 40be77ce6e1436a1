"""Deny by default, checked mechanically: every route of the URLconf and every API operation refuses a stranger.

The walk covers routes added later without anyone remembering to write a test for them. A route that is
meant for the public must be named in PUBLIC (web) or PUBLIC_API with the reason; anything else that
answers an anonymous visitor with a page, or changes data on an anonymous POST, fails here.
"""

from __future__ import annotations

import re

import pytest
from django.urls import URLPattern, URLResolver, get_resolver

from kepu.core.models import AuditEntry

pytestmark = pytest.mark.django_db

#: Web routes anybody may open, by "namespace:name", each for a reason a reviewer can check.
PUBLIC = {
    "core:landing": "the front door",
    "core:home": "the front door, redirects by role",
    "core:elder": "the elder-mode switch works before signing in",
    "core:healthz": "load balancer health check",
    "core:readyz": "readiness probe: a reason in a few words, nothing about people or data",
    "robots.txt": "for crawlers",
    "accounts:login": "signing in",
    "accounts:phone_login": "signing in by phone",
    "accounts:logout": "signing out",
    "accounts:place_options": "the place picker of the sign-up form; the place tree is public reference data",
    "places:tree": "the place tree is public reference data",
    "set_language": "choosing the language before signing in",
    "orders:menu": "the service menu is public",
    "open311_services": "Open311 is a public read-only interface",
    "open311_requests": "Open311 is a public read-only interface",
    "activities:calendar": "the public science calendar",
    "activities:feed": "iCalendar feeds of the public calendar",
    "activities:detail": "published public activities are public",
    "activities:venues": "venues and their visiting hours are public",
    "activities:themes": "the theme-day calendar is public",
    "volunteers:verify": "a certificate's QR code is checked by whoever holds the paper",
    "bases:list": "the public list and map of science bases in force",
    "bases:detail": "a base in force is public (any other answers 404 to those who may not see it)",
    "bases:photo": "the photos of a public base",
    "bases:notices": "a public notice (公示) is public by nature",
    "bases:verify": "a base's certificate is checked by whoever holds the paper",
    "resources:library": "the science library: published pieces only",
    "resources:detail": "a published piece (others are 404 to the public; tested in resources)",
    "resources:file": "a published piece's file (others are 404 to the public; tested in resources)",
    "favicon.ico": "the site's icon",
    "core:manifest": "the web app manifest (name and icons for the home screen)",
    "core:privacy": "the privacy policy is read before agreeing to it",
    "core:terms": "the user agreement is read before agreeing to it",
    "places:picker": "the place picker; the place tree is public reference data",
    "emergency:public": "a declared emergency's guidance is for everybody (others are 404; tested in emergency)",
}

#: API operations open to anonymous callers: (method, path template) -> why.
PUBLIC_API = {
    ("GET", "/api/v1/places/"): "the place tree is public reference data",
    ("GET", "/api/v1/activities/"): "the public science calendar",
    ("GET", "/api/v1/activities/{activity_id}"): "published public activities are public",
    ("GET", "/api/v1/volunteers/certificates/{number}/verify"): "certificate verification",
    ("GET", "/api/v1/bases/"): "the public list of science bases",
    ("GET", "/api/v1/bases/{base_id}"): "a base in force is public",
    ("GET", "/api/v1/bases/verify/{number}"): "certificate verification",
    ("GET", "/api/v1/resources/"): "the science library: published pieces only",
    ("GET", "/api/v1/resources/{resource_id}"): "a published piece (others are 404 to the public)",
    ("GET", "/api/v1/emergency/public/{pk}"): "a declared emergency's guidance is for everybody",
}

REFUSED = {302, 401, 403, 404, 405}


def _routes(patterns=None, prefix="", namespace=""):
    for p in get_resolver().url_patterns if patterns is None else patterns:
        if isinstance(p, URLResolver):
            route = str(p.pattern)
            if route.startswith(("admin/", "api/")):
                continue  # the admin has its own login; the API is walked through its OpenAPI document
            ns = p.namespace or namespace
            yield from _routes(p.url_patterns, prefix + route, ns)
        elif isinstance(p, URLPattern):
            route = prefix + str(p.pattern)
            name = f"{namespace}:{p.name}" if namespace and p.name else (p.name or route)
            yield name, route


def _concrete(route: str) -> str:
    """A URL for the route, with 1 for numbers (demo data has a row 1 in nearly every table)."""
    route = route.lstrip("^").rstrip("$")
    route = re.sub(r"<int:\w+>", "1", route)
    route = re.sub(r"<(?:str|slug|path):\w+>", "x", route)
    route = re.sub(r"<uuid:\w+>", "00000000-0000-0000-0000-000000000000", route)
    route = re.sub(r"<\w+>", "x", route)
    route = re.sub(r"\(\?P<\w+>[^)]*\)", "1", route)
    return "/" + route


@pytest.fixture(scope="module")
def _demo_module(django_db_setup, django_db_blocker):
    from kepu.core.testing.demo import demo_for_the_module

    with demo_for_the_module(django_db_blocker):
        yield


@pytest.fixture
def demo(_demo_module, db):
    return None


def _is_login_redirect(response) -> bool:
    """A redirect to a sign-in page: the staff's password form, or the residents' phone sign-in."""
    from django.urls import reverse

    location = response.get("Location", "")
    return response.status_code == 302 and location.startswith(
        (reverse("accounts:login"), reverse("accounts:phone_login"))
    )


def test_every_web_route_refuses_an_anonymous_visitor(client, demo):
    routes = list(_routes())
    assert len(routes) > 100  # the walk really walked
    before = AuditEntry.objects.count()
    leaks = []
    for name, route in routes:
        url = _concrete(route)
        if name in PUBLIC:
            continue
        got = client.get(url)
        if got.status_code not in REFUSED or (got.status_code == 302 and not _is_login_redirect(got)):
            leaks.append(f"GET {url} ({name}) -> {got.status_code} {got.get('Location', '')}")
        posted = client.post(url, {})
        if posted.status_code not in REFUSED or (posted.status_code == 302 and not _is_login_redirect(posted)):
            leaks.append(f"POST {url} ({name}) -> {posted.status_code} {posted.get('Location', '')}")
    assert leaks == [], "\n".join(leaks)
    assert AuditEntry.objects.count() == before  # nothing was done on a stranger's behalf


def test_every_public_route_exists():
    names = {name for name, _route in _routes()}
    missing = set(PUBLIC) - names
    assert missing == set(), sorted(missing)


def test_every_api_operation_refuses_an_anonymous_caller(client, demo):
    schema = client.get("/api/v1/openapi.json").json()
    assert len(schema["paths"]) > 40
    leaks = []
    for template, operations in schema["paths"].items():
        url = re.sub(r"\{\w+\}", "1", template)
        for method in operations:
            if (method.upper(), template) in PUBLIC_API or template.startswith("/api/v1/auth/"):  # signing in
                continue
            response = getattr(client, method)(
                url,
                {} if method == "get" else "{}",
                **({} if method == "get" else {"content_type": "application/json"}),
            )
            if response.status_code != 401:
                leaks.append(f"{method.upper()} {url} -> {response.status_code}")
    assert leaks == [], "\n".join(leaks)


def test_every_public_api_operation_exists(client):
    schema = client.get("/api/v1/openapi.json").json()
    ops = {(m.upper(), t) for t, operations in schema["paths"].items() for m in operations}
    missing = set(PUBLIC_API) - ops
    assert missing == set(), sorted(missing)


#: Pages a resident may open (beyond PUBLIC): their own things, the forms to order, sign up or answer.
RESIDENT_PAGES = {
    "accounts:welcome": "first steps after signing up",
    "accounts:profile": "their own profile",
    "accounts:tokens": "their own API tokens",
    "accounts:invitations": "invitations waiting for their own answer",
    "orders:list": "their own orders",
    "orders:create": "ordering a service",
    "orders:detail": "their own order (demo order 1 is this resident's)",
    "notifications:inbox": "their own inbox",
    "activities:mine": "their own sign-ups",
    "volunteers:me": "becoming a volunteer",
    "volunteers:register": "becoming a volunteer",
    "volunteers:needs": "needs open for volunteers",
    "volunteers:trainings": "courses open to everyone signed in",
    "volunteers:training": "a course, without who attended",
    "survey:home": "answering the literacy survey",
    "resources:feed": "pieces for them (为你推荐)",
    "resources:subscriptions": "the topics they follow",
    "accounts:my_data": "what the platform keeps about them (PIPL)",
    "accounts:my_data_download": "downloading their own data (PIPL)",
    "accounts:my_data_erase": "erasing their own data (PIPL)",
    "notifications:go": "the short link of their own message",
}


def test_a_resident_is_refused_every_staff_page(client, demo):
    from kepu.accounts.models import User

    resident = User.objects.get(username="r-demo-2")
    client.force_login(resident)
    session = client.session
    session["kepu_membership_id"] = resident.memberships.get().pk
    session.save()
    before = AuditEntry.objects.count()
    open_pages = []
    for name, route in _routes():
        if name in PUBLIC or name in RESIDENT_PAGES or name == "accounts:logout":
            continue
        url = _concrete(route)
        got = client.get(url)
        if got.status_code not in (403, 404, 405) and not _is_login_redirect(got):
            open_pages.append(f"GET {url} ({name}) -> {got.status_code} {got.get('Location', '')}")
    assert open_pages == [], "\n".join(open_pages)
    assert AuditEntry.objects.count() == before


#: API operations a resident may call (beyond PUBLIC_API), by path template prefix: their own things.
RESIDENT_API_PREFIXES = {
    "/api/v1/auth/": "signing in and out",
    "/api/v1/emergency/feed/": "the warning feed is signed by the warning system, not a person: 401 without its "
    "signature for anybody (tested in kepu/emergency/tests/test_feed.py)",
    "/api/v1/accounts/me": "their own account",
    "/api/v1/accounts/tokens": "their own API tokens",
    "/api/v1/orders/": "ordering, and their own orders (the list is scoped to them)",
    "/api/v1/notifications/": "their own inbox",
    "/api/v1/activities/registrations/": "their own sign-ups",
    "/api/v1/activities/sessions/{session_id}/registrations": "signing up",
    "/api/v1/volunteers/me": "becoming a volunteer",
    "/api/v1/volunteers/register": "becoming a volunteer",
    "/api/v1/volunteers/join": "joining a team",
    "/api/v1/volunteers/needs": "needs open for volunteers",
    "/api/v1/volunteers/hours": "their own hours",
    "/api/v1/volunteers/reports": "reporting their own hours",
    "/api/v1/survey/": "answering the survey",
    "/api/v1/resources/feed": "pieces for them",
    "/api/v1/resources/subscriptions": "the topics they follow",
}


#: Staff-side GET operations a resident may call because they answer with the resident's own rows only.
RESIDENT_OWN_ROWS = {
    "/api/v1/orgs/": "the organizations they belong to (their community)",
    "/api/v1/people/": "themselves",
    "/api/v1/people/me": "themselves",
    "/api/v1/plans/measures": "the names of the measures, no figures",
}


def _rows(body):
    return body.get("items", []) if isinstance(body, dict) else body


def test_every_staff_api_operation_refuses_a_resident(client, demo):
    from kepu.accounts.models import User

    resident = User.objects.get(username="r-demo-2")
    client.force_login(resident)
    session = client.session
    session["kepu_membership_id"] = resident.memberships.get().pk
    session.save()
    schema = client.get("/api/v1/openapi.json").json()
    before = AuditEntry.objects.count()
    answered = []
    for template, operations in schema["paths"].items():
        if template.startswith(tuple(RESIDENT_API_PREFIXES)):
            continue
        url = re.sub(r"\{\w+\}", "1", template)
        for method in operations:
            if (method.upper(), template) in PUBLIC_API:
                continue
            if method == "get":
                response = client.get(url)
                if response.status_code == 200 and (template in RESIDENT_OWN_ROWS or _rows(response.json()) == []):
                    continue  # scoped to nothing, or to their own rows
            else:
                response = getattr(client, method)(url, "{}", content_type="application/json")
            # 422: the body was refused before the view ran (an empty body is never valid); nothing happened.
            if response.status_code not in (403, 404, 405, 422):
                answered.append(f"{method.upper()} {url} -> {response.status_code}")
    assert answered == [], "\n".join(answered)
    assert AuditEntry.objects.count() == before
    people = client.get("/api/v1/people/").json()["items"]
    assert [p["id"] for p in people] == [resident.pk]


def test_every_route_and_operation_as_every_demo_role_stays_in_scope(demo, django_capture_on_commit_callbacks):
    """The generated permission walk: see kepu/core/tests/permission_walk.py."""
    from kepu.core.tests.permission_walk import walk_every_route_and_operation_as_every_demo_role

    walk_every_route_and_operation_as_every_demo_role(django_capture_on_commit_callbacks)
