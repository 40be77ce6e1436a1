"""Figures this app offers through the measure registry (``kepu.core.measures``), read from our own tables.

"Held" means a session of a published activity that was not cancelled and has started by now (by
``kepu.core.clock``); person-times (人次) are the tallies each session keeps (checked in and walk-ins).

Filters: the registry's ``place`` (a place code: where the session takes place, its subtree),
``theme`` (a theme key such as ``national-science-day``), ``year``, ``date_from``, ``date_to``;
``organization`` / ``organizations`` (the activities those organizations organize *or co-organize*,
each session once); ``kind`` (an ``ActivityKind`` value) and ``online`` (true: online activities
only).

Co-hosted activities (``CoOrganizer``): every co-organizer counts the sessions as its own, so a
figure over several organizations must not add them up blindly. ``shared`` lists, for a set of
organizations, the counted sessions of activities some of whose hosts are outside that set, with
their weight and whether the set holds the lead organizer; the statistics' roll-up counts each of
them once, credited to the lead (the rule stated in ``kepu/statistics/rollup.py``).
"""

from __future__ import annotations

from collections import defaultdict
from datetime import datetime, time, timedelta
from decimal import Decimal
from urllib.parse import urlencode

from django.db.models import BooleanField, Count, ExpressionWrapper, F, Q, Sum
from django.urls import reverse
from django.utils import timezone

from kepu.activities.models import ATTENDANCE_FIELDS, Activity, CoOrganizer, Session, Theme
from kepu.core import clock
from kepu.core.measures import (
    UNIT_FILTERS,
    Figure,
    Record,
    RecordList,
    SharedRecord,
    memo,
    organization_ids,
    register_filter_options,
    register_measure,
    year_bounds,
)
from kepu.places.selectors import path_of

PERSON_TIMES = sum((F(f"{field}") for field in ATTENDANCE_FIELDS.values()), start=0)
FILTERS = UNIT_FILTERS | {"theme", "kind", "online"}


def _online_q(prefix: str = "activity__") -> Q:
    return ~Q(**{f"{prefix}online_url": ""}) & Q(**{f"{prefix}venue__isnull": True}) & Q(**{f"{prefix}address": ""})


def _is_online():
    return ExpressionWrapper(_online_q(), output_field=BooleanField())


def _base(filters: dict):
    """Sessions held that match every filter except the organizations."""
    qs = Session.objects.filter(counted=True, is_cancelled=False, starts_at__lte=clock.now())
    code = filters.get("place")
    if code:
        path = path_of(code)
        qs = qs.filter(place_path__startswith=path) if path else qs.none()
    if filters.get("theme"):
        theme_id = Theme.objects.filter(slug=filters["theme"]).values_list("pk", flat=True).first()
        qs = qs.filter(theme_id_copy=theme_id) if theme_id else qs.none()
    first, last = year_bounds(filters)
    tz = timezone.get_current_timezone()
    if first:
        qs = qs.filter(starts_at__gte=datetime.combine(first, time.min, tzinfo=tz))
    if last:
        qs = qs.filter(starts_at__lt=datetime.combine(last + timedelta(days=1), time.min, tzinfo=tz))
    if filters.get("kind"):
        qs = qs.filter(activity__kind=filters["kind"])
    if filters.get("online"):
        qs = qs.filter(_online_q())
    return qs


def _co_hosted_by(org_ids):
    return CoOrganizer.objects.filter(organization_id__in=org_ids).values("activity_id")


def _sessions(filters: dict):
    """The sessions ``filters`` counts, each once."""
    qs = _base(filters)
    orgs = organization_ids(filters)
    if orgs is not None:
        qs = qs.filter(Q(organization_id_copy__in=orgs) | Q(activity_id__in=_co_hosted_by(orgs)))
    return qs


def sessions_held(filters: dict) -> Decimal:
    """Sessions (场) held."""
    return Decimal(_sessions(filters).count())


def person_times(filters: dict) -> Decimal:
    """Person-times (人次): checked-in attendees and walk-ins, by the tallies kept on each session."""
    return Decimal(_sessions(filters).aggregate(n=Sum(PERSON_TIMES))["n"] or 0)


# --- Many figures at once, with the shared (co-hosted) sessions ----------------------------------------
def _context(filters: dict) -> tuple:
    """What a figure's sessions depend on besides the organizations, the kind and online (read in one pass)."""
    return tuple(filters.get(k) or "" for k in ("place", "theme", "year", "date_from", "date_to"))


def _tallies(qs, *by) -> dict[tuple, tuple[int, int]]:
    """(*by, kind, online) -> (sessions, person-times) over ``qs``."""
    rows = (
        qs.annotate(is_online=_is_online())
        .values(*by, "activity__kind", "is_online")
        .annotate(n=Count("pk"), pt=Sum(PERSON_TIMES))
        .order_by()
    )
    return {(*(r[b] for b in by), r["activity__kind"], bool(r["is_online"])): (r["n"], r["pt"] or 0) for r in rows}


def _co_hosted(base, orgs: list[int]) -> tuple[dict[int, set[int]], list[dict]]:
    """The co-hosted activities any of ``orgs`` organizes or co-hosts (activity id -> its co-organizers), and
    their counted sessions. Every query goes by an index; co-hosting is the exception, so these are few rows."""
    hosts: dict[int, set[int]] = defaultdict(set)
    co_ids = CoOrganizer.objects.filter(organization_id__in=orgs).values("activity_id")
    led = Activity.objects.filter(organization_id__in=orgs, co_organizers__isnull=False).values("pk")
    for query in (Q(activity_id__in=co_ids), Q(activity_id__in=led)):
        for activity_id, org_id in CoOrganizer.objects.filter(query).values_list("activity_id", "organization_id"):
            hosts[activity_id].add(org_id)
    if not hosts:
        return hosts, []
    rows = [
        {
            "pk": r["pk"],
            "activity": r["activity_id"],
            "organizer": r["organization_id_copy"],
            "kind": r["activity__kind"],
            "online": bool(r["is_online"]),
            "pt": sum(r[f] for f in ATTENDANCE_FIELDS.values()),
        }
        for r in base.filter(activity_id__in=list(hosts))
        .annotate(is_online=_is_online())
        .values("pk", "activity_id", "organization_id_copy", "activity__kind", "is_online", *ATTENDANCE_FIELDS.values())
    ]
    return hosts, rows


def _read(context_filters: dict, scopes: set[tuple]) -> dict:
    """Everything the figures of one context need, for every scope at once: the organizers' own sessions grouped
    by organizer, and the co-hosted activities' sessions (three queries, however many forms)."""
    base = _base(context_filters)
    if scopes == {None}:
        return {"all": _tallies(base)}
    union = sorted({o for scope in scopes if scope for o in scope})
    own = defaultdict(dict)
    for (org, kind, online), v in _tallies(base.filter(organization_id_copy__in=union), "organization_id_copy").items():
        own[org][(kind, online)] = v
    hosts, co_rows = _co_hosted(base, union)
    # Each co-hosted session under every organization that hosts it, so a scope reads only its own.
    by_org = defaultdict(list)
    for row in co_rows:
        row["hosts"] = hosts[row["activity"]] | {row["organizer"]}
        for org in row["hosts"]:
            by_org[org].append(row)
    return {"own": own, "co": by_org}


def _matches(filters: dict, kind: str, online: bool) -> bool:
    return (not filters.get("kind") or filters["kind"] == kind) and (not filters.get("online") or online)


def _figure(data: dict, f: dict, weight: str) -> Figure:
    index = 0 if weight == "sessions" else 1
    if "all" in data:
        return Figure(Decimal(sum(v[index] for (kind, online), v in data["all"].items() if _matches(f, kind, online))))
    scope = set(organization_ids(f))
    value = sum(
        v[index] for org in scope for (kind, online), v in data["own"].get(org, {}).items() if _matches(f, kind, online)
    )
    touching = {row["pk"]: row for org in scope for row in data["co"].get(org, ())}
    shared = []
    for s in sorted(touching.values(), key=lambda row: row["pk"]):
        if not _matches(f, s["kind"], s["online"]):
            continue
        everyone = s["hosts"]
        w = 1 if weight == "sessions" else s["pt"]
        if s["organizer"] not in scope:
            value += w  # co-hosted by the scope, organized outside it: not among the organizers' own
        if not everyone <= scope and w:
            shared.append(SharedRecord(f"activities.session:{s['pk']}", Decimal(w), s["organizer"] in scope))
    return Figure(Decimal(value), tuple(shared))


def _figures(filters_list: list[dict], *, weight: str) -> list[Figure]:
    contexts: dict[tuple, set] = defaultdict(set)
    for f in filters_list:
        orgs = organization_ids(f)
        contexts[_context(f)].add(tuple(orgs) if orgs is not None else None)
    data = {}
    for context, scopes in contexts.items():
        context_filters = dict(zip(("place", "theme", "year", "date_from", "date_to"), context, strict=True))
        # Sessions and person-times come from the same rows: inside a batch they are read once.
        key = ("activities.figures", context, tuple(sorted(scopes, key=str)))
        data[context] = memo(key, lambda cf=context_filters, sc=scopes: _read(cf, sc))
    return [_figure(data[_context(f)], f, weight) for f in filters_list]


def _shared(weight: str):
    def shared(filters: dict):
        return _figures([filters], weight=weight)[0].shared

    return shared


# --- The records behind a figure -----------------------------------------------------------------------
def _records(weight: str):
    def records(filters: dict) -> RecordList:
        orgs = set(organization_ids(filters) or ())
        qs = (
            _sessions(filters)
            .select_related("activity", "activity__organization")
            .annotate(pt=PERSON_TIMES)
            .order_by("starts_at", "pk")
        )

        def row(s) -> Record:
            a = s.activity
            co_hosted = bool(orgs) and a.organization_id not in orgs
            return Record(
                key=f"activities.session:{s.pk}",
                label=a.title,
                when=s.starts_at,
                who=a.organization.display_name,
                weight=Decimal(1 if weight == "sessions" else s.pt or 0),
                url=reverse("activities:detail", args=[a.pk]),
                note="co_hosted" if co_hosted else "",
            )

        return RecordList(qs, row)

    return records


def _records_url(filters: dict) -> str:
    query = {k: v for k, v in {"theme": filters.get("theme", ""), "district": filters.get("place", "")}.items() if v}
    return reverse("activities:calendar") + ("?" + urlencode(query) if query else "")


def register() -> bool:
    from django.utils.translation import gettext_lazy as _

    for key, label, unit, compute, weight in (
        ("activities.held", _("Activity sessions held"), "场", sessions_held, "sessions"),
        ("activities.person_times", _("Person-times at activities"), "人次", person_times, "person_times"),
    ):
        register_measure(
            key,
            label,
            unit,
            compute,
            _records_url,
            filters=FILTERS,
            records=_records(weight),
            shared=_shared(weight),
            figures=lambda fl, w=weight: _figures(fl, weight=w),
        )
    register_filter_options("theme", theme_options)
    return True


def theme_options() -> list[tuple[str, str]]:
    """The theme days a target can be filtered by: the key the measures read, and the name people know."""
    return list(Theme.objects.filter(is_active=True).order_by("month", "day", "name").values_list("slug", "name"))


def co_organizers_of(activity_ids) -> dict[int, set[int]]:
    """activity id -> ids of its co-organizers (for pages that show who co-hosted)."""
    out: dict[int, set[int]] = defaultdict(set)
    for a, o in CoOrganizer.objects.filter(activity_id__in=list(activity_ids)).values_list(
        "activity_id", "organization_id"
    ):
        out[a].add(o)
    return out
