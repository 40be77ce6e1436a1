"""The monthly figures roll-up (``FiguresMonth``): how sessions and delivered orders add to it.

A session contributes its tallies, one session and (if it is its activity's first) one
activity to the row of its month, place, organizer and theme while it counts (published,
not cancelled); a delivered service order not delivered as one of our activities
contributes one service and its attendance. Whoever changes a session or a delivered order
holds its lock, reads what it contributed before and after, and adds the difference
(``move``); a tally change adds its amounts directly (``add``). Rows only ever move by
``F() + n``, so concurrent changes to the same row never lose one another.

Each change moves two tables: ``FiguresMonth`` (by month, place, organizer, theme) and
``FiguresMonthDistrict`` (by month, district, theme: the city's and districts' dashboards).
The functions take the pair of model classes (``tables``) as an argument so that the data
migrations can run them with their historical models.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable, Mapping

from django.db import IntegrityError, transaction
from django.db.models import Count, F, Q, Sum
from django.utils import timezone

from kepu.core.populations import Population

ATT = {p: f"att_{p}" for p in Population.values}
FIELDS = (
    "activities",
    "sessions",
    "services",
    "registered",
    "checked_in",
    "walk_ins",
    *ATT.values(),
    "survey_sum",
    "survey_count",
)
#: What a session row must carry for ``session_contribution``.
SESSION_VALUES = (
    "pk",
    "starts_at",
    "counted",
    "is_cancelled",
    "district_code",
    "place_path",
    "organization_id_copy",
    "theme_id_copy",
    "is_first",
    "registered",
    "checked_in",
    "walk_in_count",
    *ATT.values(),
    "survey_sum",
    "survey_count",
)
SERVICE_VALUES = ("pk", "delivered_at", "district_code", "place_path", "organization_id", "attendance", "activity_id")

Key = tuple  # (month, district_code, place_path, organization_id, theme_id)


def month_of(moment) -> object:
    return timezone.localtime(moment).date().replace(day=1)


def session_key(row: Mapping) -> Key:
    return (
        month_of(row["starts_at"]),
        row["district_code"] or "",
        row["place_path"] or "",
        row["organization_id_copy"] or 0,
        row["theme_id_copy"] or 0,
    )


def session_contribution(row: Mapping) -> tuple[Key, dict] | None:
    if not row["counted"] or row["is_cancelled"]:
        return None
    figures = {
        "activities": 1 if row["is_first"] else 0,
        "sessions": 1,
        "registered": row["registered"],
        "checked_in": row["checked_in"],
        "walk_ins": row["walk_in_count"],
        "survey_sum": row["survey_sum"],
        "survey_count": row["survey_count"],
    }
    figures.update({f: row[f] for f in ATT.values()})
    return session_key(row), figures


def service_contribution(row: Mapping) -> tuple[Key, dict] | None:
    if row["activity_id"]:  # delivered as one of our activities: its sessions count it already
        return None
    figures = {"services": 1}
    for pop, n in (row["attendance"] or {}).items():
        if pop in ATT:
            figures[ATT[pop]] = figures.get(ATT[pop], 0) + int(n)
    key = (
        month_of(row["delivered_at"]),
        row["district_code"] or "",
        row["place_path"] or "",
        row["organization_id"] or 0,
        0,
    )
    return key, figures


def instance_row(obj, names: Iterable[str]) -> dict:
    return {n: getattr(obj, n) for n in names}


def _sum(contributions) -> dict[Key, dict]:
    out: dict[Key, dict] = defaultdict(lambda: defaultdict(int))
    for item in contributions:
        if item is None:
            continue
        key, figures = item
        for f, v in figures.items():
            out[key][f] += v
    return out


def district_key(key: Key) -> tuple:
    return key[0], key[1], key[4]


def move(tables, before: Iterable[tuple[Key, dict] | None], after: Iterable[tuple[Key, dict] | None]) -> None:
    """Add ``after`` minus ``before`` to the roll-up (the caller holds the locks of the rows they describe)."""
    old, new = _sum(before), _sum(after)
    deltas: dict[Key, dict] = {}
    for key in set(old) | set(new):
        d = {f: new.get(key, {}).get(f, 0) - old.get(key, {}).get(f, 0) for f in FIELDS}
        d = {f: v for f, v in d.items() if v}
        if d:
            deltas[key] = d
    # One lock order everywhere: fine rows before district rows, each in key order (as ``add``
    # does for a single key), so two transactions moving the same rows cannot deadlock.
    fine, coarse = tables
    district: dict[tuple, dict] = defaultdict(lambda: defaultdict(int))
    for key in sorted(deltas):
        _upsert(fine, _fine_key(key), deltas[key])
        for f, v in deltas[key].items():
            district[district_key(key)][f] += v
    for key in sorted(district):
        delta = {f: v for f, v in district[key].items() if v}
        if delta:
            _upsert(coarse, {"month": key[0], "district_code": key[1], "theme_id": key[2]}, delta)


def _fine_key(key: Key) -> dict:
    return {
        "month": key[0],
        "district_code": key[1],
        "place_path": key[2],
        "organization_id": key[3],
        "theme_id": key[4],
    }


def add(tables, key: Key, delta: Mapping[str, int]) -> None:
    """Add ``delta`` to the row of ``key`` in both tables (the fine one first, always in that order)."""
    delta = {f: v for f, v in delta.items() if v}
    if not delta:
        return
    fine, coarse = tables
    _upsert(fine, _fine_key(key), delta)
    _upsert(coarse, {"month": key[0], "district_code": key[1], "theme_id": key[4]}, delta)


def _upsert(model, key: dict, delta: Mapping[str, int]) -> None:
    row = model.objects.filter(**key)
    changes = {f: F(f) + v for f, v in delta.items()}
    if row.update(**changes):
        return
    try:
        with transaction.atomic():
            model.objects.create(**key, **delta)
    except IntegrityError:  # created meanwhile by a concurrent transaction, which has committed
        row.update(**changes)


def recompute(session_model, service_model) -> dict[Key, dict]:
    """The roll-up as it should be, from the sessions and delivered orders (one grouped query each)."""
    from django.db.models.functions import TruncMonth

    tz = timezone.get_current_timezone()
    out: dict[Key, dict] = defaultdict(lambda: defaultdict(int))
    sums = {
        "registered": Sum("registered"),
        "checked_in": Sum("checked_in"),
        "walk_ins": Sum("walk_in_count"),
        "survey_sum": Sum("survey_sum"),
        "survey_count": Sum("survey_count"),
        **{f: Sum(f) for f in ATT.values()},
    }
    rows = (
        session_model.objects.filter(counted=True, is_cancelled=False)
        .annotate(m=TruncMonth("starts_at", tzinfo=tz))
        .values("m", "district_code", "place_path", "organization_id_copy", "theme_id_copy")
        .annotate(sessions=Count("pk"), activities=Count("pk", filter=Q(is_first=True)), **sums)
        .order_by()
    )
    for r in rows:
        m = r["m"]
        m = m.date() if hasattr(m, "date") else m
        key = (
            m.replace(day=1),
            r["district_code"] or "",
            r["place_path"] or "",
            r["organization_id_copy"] or 0,
            r["theme_id_copy"] or 0,
        )
        for f in FIELDS:
            if f in r and r[f]:
                out[key][f] += r[f]
    for row in service_model.objects.filter(activity__isnull=True).values(*SERVICE_VALUES).iterator():
        key, figures = service_contribution(row)
        for f, v in figures.items():
            out[key][f] += v
    return {k: {f: v for f, v in d.items() if v} for k, d in out.items() if any(d.values())}


def by_district(rows: Mapping[Key, dict]) -> dict[tuple, dict]:
    """``FiguresMonthDistrict`` as it must be: the fine rows summed per month, district and theme."""
    out: dict[tuple, dict] = defaultdict(lambda: defaultdict(int))
    for key, figures in rows.items():
        for f, v in figures.items():
            out[district_key(key)][f] += v
    return {k: {f: v for f, v in d.items() if v} for k, d in out.items() if any(d.values())}


def stored(tables) -> tuple[dict[Key, dict], dict[tuple, dict]]:
    """Both tables' non-zero rows, keyed like ``recompute`` and ``by_district``."""
    fine, coarse = tables
    out, out_coarse = {}, {}
    for r in fine.objects.values("month", "district_code", "place_path", "organization_id", "theme_id", *FIELDS):
        figures = {f: r[f] for f in FIELDS if r[f]}
        if figures:
            out[(r["month"], r["district_code"], r["place_path"], r["organization_id"], r["theme_id"])] = figures
    for r in coarse.objects.values("month", "district_code", "theme_id", *FIELDS):
        figures = {f: r[f] for f in FIELDS if r[f]}
        if figures:
            out_coarse[(r["month"], r["district_code"], r["theme_id"])] = figures
    return out, out_coarse


def rebuild(tables, session_model, service_model, *, lock: bool = True) -> int:
    """Replace both tables by a recomputation; returns the number of fine rows.

    On PostgreSQL the tables are locked first, so a service that is moving a row either has
    committed (and the recomputation sees it) or waits and adds its amounts to the new rows.
    """
    from django.db import connection

    fine, coarse = tables
    with transaction.atomic():
        if lock and connection.vendor == "postgresql":
            with connection.cursor() as cursor:
                cursor.execute(f"LOCK TABLE {fine._meta.db_table}, {coarse._meta.db_table} IN EXCLUSIVE MODE")
        rows = recompute(session_model, service_model)
        fine.objects.all().delete()
        coarse.objects.all().delete()
        fine.objects.bulk_create(
            [
                fine(month=k[0], district_code=k[1], place_path=k[2], organization_id=k[3], theme_id=k[4], **figures)
                for k, figures in rows.items()
            ],
            batch_size=2000,
        )
        coarse.objects.bulk_create(
            [
                coarse(month=k[0], district_code=k[1], theme_id=k[2], **figures)
                for k, figures in by_district(rows).items()
            ],
            batch_size=2000,
        )
    return len(rows)
