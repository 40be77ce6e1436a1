"""Deny by default, checked mechanically: every route of the URLconf and every API operation refuses a stranger.

The walk covers routes added later without anyone remembering to write a test for them. A route that is
meant for the public must be named in PUBLIC (web) or PUBLIC_API with the reason; anything else that
answers an anonymous visitor with a page, or changes data on an anonymous POST, fails here.
"""

from __future__ import annotations

import re

import pytest
from django.core.management import call_command
from django.urls import URLPattern, URLResolver, get_resolver

from kepu.core.models import AuditEntry

pytestmark = pytest.mark.django_db

#: Web routes anybody may open, by "namespace:name", each for a reason a reviewer can check.
PUBLIC = {
    "core:landing": "the front door",
    "core:home": "the front door, redirects by role",
    "core:elder": "the elder-mode switch works before signing in",
    "core:healthz": "load balancer health check",
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
}

#: API operations open to anonymous callers: (method, path template) -> why.
PUBLIC_API = {
    ("GET", "/api/v1/places/"): "the place tree is public reference data",
    ("GET", "/api/v1/activities/"): "the public science calendar",
    ("GET", "/api/v1/activities/{activity_id}"): "published public activities are public",
    ("GET", "/api/v1/volunteers/certificates/{number}/verify"): "certificate verification",
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


@pytest.fixture
def demo(db):
    call_command("seed_demo", "--quiet-logins")


def _is_login_redirect(response) -> bool:
    return response.status_code == 302 and "login" in response.get("Location", "")


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
            response = getattr(client, method)(url, {} if method == "get" else "{}",
                                               **({} if method == "get" else {"content_type": "application/json"}))
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
        if got.status_code not in (403, 404, 405) and not (got.status_code == 302 and "login" in got["Location"]):
            open_pages.append(f"GET {url} ({name}) -> {got.status_code} {got.get('Location', '')}")
    assert open_pages == [], "\n".join(open_pages)
    assert AuditEntry.objects.count() == before


#: API operations a resident may call (beyond PUBLIC_API), by path template prefix: their own things.
RESIDENT_API_PREFIXES = {
    "/api/v1/auth/": "signing in and out",
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
