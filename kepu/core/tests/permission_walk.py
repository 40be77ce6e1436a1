"""The generated permission walk: every web route and every API operation, as every demo role, aimed at
records of another district, organization or person. Nothing in it names a route, an operation or a model:
it reads the URLconf, the OpenAPI document and the policy registry, so the apps added later are walked too.

For each role (one demo identity per role) and each app, the walk picks record ids that the role's
policies put **out of scope in every model of that app** (other districts', organizations', people's
records), and fills every id in every route and operation with them. Then:

* a read that answers 200 must not show any of those records: their names, titles, full phone numbers
  and ID numbers are looked for in the answer (lists included, with no id at all);
* a write (POST, PATCH, PUT, DELETE; API bodies are built from the operation's schema, with the same
  out-of-scope ids in every id field) must not land: no audit entry about an out-of-scope record, and
  the out-of-scope records are unchanged;
* an upload (a spreadsheet of people already on the platform, posted to every web route) never gives
  an existing person a role: imports invite, they do not attach.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import io
import re
import time
from collections import defaultdict

from django.apps import apps
from django.db import models
from django.test import Client

from kepu.core.actor import Actor
from kepu.core.models import AuditEntry
from kepu.core.permissions import _registry, scope
from kepu.core.tests.test_refusals import _routes

#: Models that are public reference data (every role may see every row): no record of them is "outside".
PUBLIC_MODELS = {
    "places.place": "the administrative tree",
    "orders.serviceitem": "the public service menu",
    "orgs.organization": "organizations are named on public pages (organizers, teams anyone may join)",
    "activities.venue": "venues and their visiting hours are public; a community may book the district's museum",
}
#: Models whose text repeats other records' (an audit entry names its object): aimed at, never a marker.
NO_MARKERS = {"core.auditentry"}
#: Web routes left out of the walk, each for a reason.
SKIP_ROUTES = {
    "accounts:logout": "signs the walker out",
    "accounts:switch_role": "changes the walker's role; refused for memberships not held (tested in accounts)",
}
#: Text fields whose values identify a record on a page.
MARKER_FIELDS = ("title", "name", "real_name", "filename", "object_repr")
#: Fields holding personal data in full (decrypted by the ORM): never on a page of someone not entitled.
PII_FIELDS = ("phone", "id_number")
IDS_PER_APP = 1
MAX_MARKERS = 400


def _identities():
    """One active membership per role (the first in the demo data), as the walker's identities."""
    from kepu.accounts.models import Membership

    seen = {}
    for m in (
        Membership.objects.filter(is_active=True, user__is_active=True)
        .select_related("user", "organization__place")
        .order_by("pk")
    ):
        seen.setdefault(m.role, m)
    return list(seen.values())


def _policy_models():
    return [m for m in _registry if m._meta.label_lower not in PUBLIC_MODELS]


def _out_of_scope(actor, model) -> set[int]:
    ids = list(model.objects.order_by("pk").values_list("pk", flat=True)[:5000])
    if not ids:
        return set()
    # A range rather than an IN list of thousands of ids: the scope's own subqueries stay the plan's driver.
    inside = scope(actor, model.objects.filter(pk__range=(ids[0], ids[-1]))).values_list("pk", flat=True)
    return set(ids) - set(inside)


def _in_scope(actor, model) -> set[int]:
    return set(scope(actor, model.objects.all()).values_list("pk", flat=True)[:5000])


class Targets:
    """For one actor: the ids to aim at per app, and what the aimed-at records look like on a page."""

    def __init__(self, actor):
        self.actor = actor
        self.ids: dict[str, list[int]] = {}
        self.records: list[tuple[type[models.Model], int]] = []
        by_app = defaultdict(list)
        for model in _policy_models():
            by_app[model._meta.app_label].append(model)
        texts_in, texts_out = set(), {}
        for app, app_models in by_app.items():
            outs = {m: _out_of_scope(actor, m) for m in app_models}
            ins = {m: _in_scope(actor, m) for m in app_models}
            inside = set().union(*ins.values())
            score = defaultdict(int)
            for ids in outs.values():
                for pk in ids - inside:
                    score[pk] += 1
            chosen = sorted(score, key=lambda pk: (-score[pk], pk))[:IDS_PER_APP]
            self.ids[app] = chosen
            for m in app_models:
                if m._meta.label_lower in NO_MARKERS:
                    self.records += [(m, pk) for pk in chosen if pk in outs[m]]
                    continue
                for obj in m.objects.filter(pk__in=outs[m])[:200]:
                    for text in _texts(obj):
                        texts_out.setdefault(text, (m, obj.pk))
                for obj in m.objects.filter(pk__in=ins[m])[:2000]:
                    texts_in.update(_texts(obj))
                self.records += [(m, pk) for pk in chosen if pk in outs[m]]
        public = _public_texts()
        markers = {t: src for t, src in texts_out.items() if t not in texts_in and not any(t in p for p in public)}
        self.markers = dict(sorted(markers.items(), key=lambda kv: -len(kv[0]))[:MAX_MARKERS])
        self.pattern = re.compile("|".join(re.escape(t) for t in self.markers)) if self.markers else None
        self.fingerprints = {(m, pk): _fingerprint(m, pk) for m, pk in self.records}

    def leaked(self, text: str) -> list[str]:
        if self.pattern is None:
            return []
        found = {m.group(0) for m in self.pattern.finditer(text)}
        return sorted(f"{t!r} ({self.markers[t][0].__name__} {self.markers[t][1]})" for t in found)[:3]

    def any_id(self) -> int:
        return next((ids[0] for ids in self.ids.values() if ids), 999999)


def _texts(obj) -> set[str]:
    out = set()
    for field in (*MARKER_FIELDS, *PII_FIELDS):
        value = getattr(obj, field, None)
        if isinstance(value, str) and len(value.strip()) >= (4 if field in MARKER_FIELDS else 7):
            out.add(value.strip())
    return out


_public_cache: list[str] = []


def _public_texts() -> list[str]:
    """What an anonymous visitor can read anyway (the public calendar, menu, places): never a leak."""
    if not _public_cache:
        anonymous = Client()
        from kepu.bases.models import Base

        urls = ["/activities/", "/activities/venues/", "/orders/menu/", "/places/", "/api/v1/activities/", "/bases/"]
        # A base in force is public with its contact phone and its venue (answers 404 otherwise).
        urls += [f"/bases/{pk}/" for pk in Base.objects.values_list("pk", flat=True)[:100]]
        for url in urls:
            response = anonymous.get(url)
            if response.status_code == 200:
                _public_cache.append(response.content.decode("utf-8", "replace"))
        from kepu.activities.models import Activity, Venue

        # Venues are public by name (a base applying for the title is a venue the district already lists).
        _public_cache.extend(Venue.objects.filter(is_active=True).values_list("name", flat=True))
        for activity in Activity.objects.filter(status="published", is_public=True)[:300]:
            _public_cache.append(f"{activity.title} {activity.organization.name}")
    return _public_cache


def _fingerprint(model, pk) -> str:
    row = model.objects.filter(pk=pk).values().first()
    return hashlib.sha256(repr(sorted((row or {}).items())).encode()).hexdigest()


def _client_for(membership) -> Client:
    from kepu.accounts.middleware import SESSION_KEY

    client = Client()
    client.force_login(membership.user)
    session = client.session
    session[SESSION_KEY] = membership.pk
    session.save()
    return client


def _app_of_route(name: str, route: str) -> str:
    namespace = name.split(":", 1)[0] if ":" in name else route.split("/", 1)[0]
    known = {m._meta.app_label for m in _registry}
    aliases = {"notifications": "notifications", "inbox": "notifications", "open311": "orders", "audit": "core"}
    namespace = aliases.get(namespace, namespace)
    return namespace if namespace in known else ""


def _fill(route: str, value: int) -> str:
    route = route.lstrip("^").rstrip("$")
    route = re.sub(r"<int:\w+>", str(value), route)
    route = re.sub(r"<(?:str|slug|path):\w+>", "x", route)
    route = re.sub(r"<uuid:\w+>", "00000000-0000-0000-0000-000000000000", route)
    route = re.sub(r"<\w+>", "x", route)
    return "/" + route


def _upload(sheet: bytes) -> dict:
    """A form post carrying the people sheet as a named .xlsx file (a nameless one is no upload at all)."""
    from django.core.files.uploadedfile import SimpleUploadedFile

    xlsx = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
    return {"file": SimpleUploadedFile("people.xlsx", sheet, content_type=xlsx), "reason": "x", "note": "x"}


_HREF = re.compile(r'href="(/[^"#?]*)"')


def _links_to_unfillable(html: str) -> set[str]:
    """Same-site links on a page to routes with a word parameter (``<slug:…>``, ``<str:…>``) and no id."""
    from django.urls import Resolver404, resolve

    found = set()
    for path in _HREF.findall(html):
        if path.startswith(("/static/", "/media/")):
            continue
        try:
            match = resolve(path)
        except Resolver404:
            continue
        if match.kwargs and not any(isinstance(v, int) for v in match.kwargs.values()):
            if match.view_name not in SKIP_ROUTES:
                found.add(path)
    return found


def _ids_for(targets: Targets, app: str) -> list[int]:
    return targets.ids.get(app) or [targets.any_id()]


# --- API bodies from the OpenAPI document ----------------------------------------------------------
def _resolve(schema: dict, doc: dict) -> dict:
    while "$ref" in schema:
        schema = doc["components"]["schemas"][schema["$ref"].rsplit("/", 1)[-1]]
    if "anyOf" in schema:
        options = [s for s in schema["anyOf"] if s.get("type") != "null"]
        return _resolve(options[0], doc) if options else {"type": "null"}
    if "allOf" in schema:
        merged = {}
        for part in schema["allOf"]:
            merged.update(_resolve(part, doc))
        return merged
    return schema


def _example(schema: dict, doc: dict, target_id: int, name: str = "", depth: int = 0):
    schema = _resolve(schema, doc)
    kind = schema.get("type")
    if "enum" in schema:
        return schema["enum"][0]
    if kind == "object" or "properties" in schema:
        if depth > 3:
            return {}
        return {
            key: _example(sub, doc, target_id, key, depth + 1) for key, sub in (schema.get("properties") or {}).items()
        }
    if kind == "array":
        return [_example(schema.get("items", {}), doc, target_id, name, depth + 1)]
    if kind == "integer":
        return target_id if name.endswith(("id", "_ids")) or name in ("pk", "organization", "unit") else 1
    if kind == "number":
        return 1
    if kind == "boolean":
        return True
    fmt = schema.get("format")
    if fmt == "date":
        return dt.date.today().isoformat()
    if fmt == "date-time":
        return (dt.datetime.now(dt.UTC) + dt.timedelta(days=3)).isoformat()
    return "x"


def _people_sheet(phones: list[str], id_numbers: list[str]) -> bytes:
    """A spreadsheet in the volunteer template's shape, listing people who already have an account (by phone)
    and, with new phones, ID numbers already registered to somebody."""
    from kepu.core.exports import Workbook
    from kepu.volunteers.imports import VOLUNTEER_COLUMNS
    from kepu.volunteers.tests.test_imports import id_for

    wb = Workbook()
    wb.active.append(VOLUNTEER_COLUMNS)
    for n, phone in enumerate(phones):
        wb.active.append([f"导入{n}", id_for(400 + n), phone, "", "", "", "", "", ""])
    for n, id_number in enumerate(id_numbers):
        wb.active.append([f"冒名{n}", id_number, f"1990000{n:04d}", "", "", "", "", "", ""])
    out = io.BytesIO()
    wb.save(out)
    return out.getvalue()


def walk_every_route_and_operation_as_every_demo_role(django_capture_on_commit_callbacks):
    """The walk (run by test_refusals.py, which seeds the demo once for all its walks)."""
    from kepu.accounts.models import Membership, User

    started = time.monotonic()
    identities = _identities()
    assert len(identities) >= 8, [m.role for m in identities]  # the walk really has roles to walk as
    routes = [(n, r) for n, r in _routes() if n not in SKIP_ROUTES]
    doc = Client().get("/api/v1/openapi.json").json()
    operations = [(path, method, op) for path, ops in doc["paths"].items() for method, op in ops.items()]
    assert len(routes) > 100 and len(operations) > 80

    from kepu.volunteers.models import ImportJob, Volunteer

    jobs_before = ImportJob.objects.order_by("-pk").values_list("pk", flat=True).first() or 0
    existing_phones = [u.phone for u in User.objects.exclude(phone="").order_by("pk")[:5]]
    members_before = set(Membership.objects.filter(is_active=True).values_list("user_id", "organization_id", "role"))
    existing_ids = set(User.objects.values_list("pk", flat=True))
    holders = {v.id_number: v.user_id for v in Volunteer.objects.exclude(id_number="").order_by("pk")[:3]}
    sheet = _people_sheet(existing_phones, list(holders))
    problems: list[str] = []
    requests = uploads = 0
    for membership in identities:
        actor = Actor(user=membership.user, membership=membership)
        targets = Targets(actor)
        client = _client_for(membership)
        audit_before = AuditEntry.objects.order_by("-pk").values_list("pk", flat=True).first() or 0
        who = f"{membership.role}"

        linked: set[str] = set()  # pages the walker is shown links to, for routes the walk cannot fill
        for name, route in routes:
            app = _app_of_route(name, route)
            has_id = "<int:" in route
            for target in _ids_for(targets, app) if has_id else [0]:
                url = _fill(route, target)
                got = client.get(url)
                requests += 1
                if got.status_code == 200 and not getattr(got, "streaming", False):
                    text = got.content.decode("utf-8", "replace")
                    leaks = targets.leaked(text)
                    if leaks:
                        problems.append(f"{who} GET {url} ({name}) shows out-of-scope data: {', '.join(leaks)}")
                    linked.update(_links_to_unfillable(text))
                # A view that refused the GET of this record refuses its POST too (same lookup); POST-only
                # views answer a GET with 405, views for this role with 200: those get the write attempt.
                if has_id and got.status_code in (200, 405):
                    with django_capture_on_commit_callbacks(execute=True):
                        posted = client.post(url, _upload(sheet))
                    requests += 1
                    if posted.status_code == 500:
                        problems.append(f"{who} POST {url} ({name}) -> 500")

        # Routes named by a word (an import's kind, a place's code) are walked at the addresses the walker's
        # own pages link to, uploads included: the volunteer and expert imports are reached this way.
        for url in sorted(linked)[:60]:
            got = client.get(url)
            requests += 1
            if got.status_code in (200, 405):
                with django_capture_on_commit_callbacks(execute=True):
                    posted = client.post(url, _upload(sheet))
                requests += 1
                uploads += 1
                if posted.status_code == 500:
                    problems.append(f"{who} POST {url} -> 500")

        for path, method, op in operations:
            app = path.split("/")[3] if path.count("/") > 3 else ""
            app = {"people": "accounts", "auth": "accounts", "audit": "core"}.get(app, app)
            has_id = "{" in path
            body = None
            if "requestBody" in op:
                content = op["requestBody"].get("content", {})
                if "application/json" in content:
                    body = content["application/json"]["schema"]
            for target in _ids_for(targets, app) if has_id else [targets.any_id()]:
                url = re.sub(r"\{\w+\}", str(target), path)
                if method == "get":
                    got = client.get(url)
                    requests += 1
                    if got.status_code == 200:
                        leaks = targets.leaked(got.content.decode("utf-8", "replace"))
                        if leaks:
                            problems.append(f"{who} GET {url} shows out-of-scope data: {', '.join(leaks)}")
                    elif got.status_code >= 500:
                        problems.append(f"{who} GET {url} -> {got.status_code}")
                    continue
                if path.startswith("/api/v1/auth/"):
                    continue  # signing in: walked by the lockout tests
                data = _example(body, doc, target) if body else {}
                with django_capture_on_commit_callbacks(execute=True):
                    sent = getattr(client, method)(url, data, content_type="application/json")
                requests += 1
                if sent.status_code >= 500:
                    problems.append(f"{who} {method.upper()} {url} -> {sent.status_code}")

        # Writes: nothing happened to a record outside the walker's scope.
        outside: dict[type[models.Model], set[int]] = {}
        for entry in AuditEntry.objects.filter(pk__gt=audit_before).exclude(object_type=""):
            model = apps.get_model(entry.object_type) if "." in entry.object_type else None
            if model is None or model not in _registry or model._meta.label_lower in PUBLIC_MODELS:
                continue
            if model not in outside:
                outside[model] = _out_of_scope(actor, model)
            if entry.object_id.isdigit() and int(entry.object_id) in outside[model]:
                if not scope(actor, model.objects.filter(pk=int(entry.object_id))).exists():
                    problems.append(f"{who} changed {entry.object_type} {entry.object_id}: {entry.action}")
        for (model, pk), before in targets.fingerprints.items():
            if _fingerprint(model, pk) != before:
                problems.append(f"{who} changed {model.__name__} {pk} (out of its scope)")

    # Uploads: no existing person got a role from any of them.
    members_after = set(Membership.objects.filter(is_active=True).values_list("user_id", "organization_id", "role"))
    for user_id, org_id, role in sorted(members_after - members_before):
        if user_id in existing_ids:
            problems.append(f"an upload gave existing person {user_id} the role {role} in organization {org_id}")
    from kepu.volunteers.models import ImportStatus

    # The check above means something only if imports really ran with the sheet.
    assert uploads > 0 and ImportJob.objects.filter(pk__gt=jobs_before, status=ImportStatus.DONE).exists(), (
        "the walk ran no import with the people sheet"
    )
    for id_number, holder in holders.items():
        others = [v.user_id for v in Volunteer.objects.exclude(user_id=holder) if v.id_number == id_number]
        if others:
            problems.append(f"an upload gave the ID number of person {holder} to {others}")
    print(f"permission walk: {len(identities)} roles, {requests} requests, {time.monotonic() - started:.0f} s")
    assert problems == [], "\n".join(problems[:80])
