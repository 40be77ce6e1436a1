"""Benchmarks for the volunteers app (not a test): Excel import, expert search, organization hours total.

Run from the worktree root (a fresh SQLite file under var/ is created each time):

    KEPU_TESTING=1 .venv/bin/python bench/volunteers/run.py --volunteers 100000 --experts 100000 --ledger 10000000

See bench/volunteers/README.md for the figures.
"""

from __future__ import annotations

import argparse
import io
import os
import random
import sys
import time
from datetime import date, timedelta
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(ROOT))


def _fresh_postgres(url: str, reuse: bool) -> bool:
    """Create the PostgreSQL database of ``DATABASE_URL`` (only ``kepu_bench_vol*``: others' are left alone)."""
    import psycopg

    name = url.rsplit("/", 1)[1].split("?")[0]
    if not name.startswith("kepu_bench_vol"):
        raise SystemExit("the benchmark only creates or drops databases named kepu_bench_vol*")
    with psycopg.connect(url.rsplit("/", 1)[0] + "/postgres", autocommit=True) as conn:
        exists = conn.execute("SELECT 1 FROM pg_database WHERE datname = %s", [name]).fetchone() is not None
        if exists and reuse:
            return False
        if exists:
            conn.execute(f'DROP DATABASE "{name}"')
        conn.execute(f'CREATE DATABASE "{name}"')
    return True


def setup(db_path: Path, reuse: bool = False) -> None:
    os.environ.setdefault("KEPU_TESTING", "1")
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "kepu.settings")
    if os.environ.get("DATABASE_URL"):
        fresh = _fresh_postgres(os.environ["DATABASE_URL"], reuse)
    else:
        os.environ["KEPU_SQLITE_PATH"] = str(db_path)
        fresh = not (reuse and db_path.exists())
        if fresh and db_path.exists():
            db_path.unlink()
    import django

    django.setup()
    from django.core.management import call_command

    call_command("migrate", verbosity=0)
    if fresh:
        call_command("seed_demo", "--quiet-logins", stdout=io.StringIO())


def percentile(values, p):
    values = sorted(values)
    k = max(0, min(len(values) - 1, int(round(p / 100 * (len(values) - 1)))))
    return values[k]


def make_workbook(count: int) -> bytes:
    from openpyxl import Workbook

    from kepu.core.pii import id_check_digit
    from kepu.places.models import Place, PlaceLevel
    from kepu.volunteers.imports import VOLUNTEER_COLUMNS

    streets = list(Place.objects.filter(level=PlaceLevel.STREET).values_list("code", flat=True))
    wb = Workbook(write_only=True)
    ws = wb.create_sheet("volunteers")
    ws.append(VOLUNTEER_COLUMNS)
    for n in range(count):
        born = date(1950, 1, 1) + timedelta(days=n // 900)
        first17 = f"110115{born:%Y%m%d}{n % 900:03d}"
        ws.append(
            [
                f"志愿者{n}",
                first17 + id_check_digit(first17),
                f"17{n:09d}",
                streets[n % len(streets)],
                "讲解、摄影",
                "健康、航天",
                "普通话",
                "本科",
                "工程师" if n % 3 else "",
            ]
        )
    out = io.BytesIO()
    wb.save(out)
    return out.getvalue()


def bench_import(count: int) -> dict:
    from kepu.accounts.models import Membership, User
    from kepu.core.actor import Actor
    from kepu.volunteers import imports
    from kepu.volunteers.models import Volunteer

    data = make_workbook(count)
    staff = User.objects.get(username="dx.team")
    actor = Actor(user=staff, membership=Membership.objects.get(user=staff))
    started = time.perf_counter()
    checked = imports.import_file(actor=actor, kind="volunteers", source=io.BytesIO(data))
    elapsed = time.perf_counter() - started
    assert checked.error_count == 0, checked.errors[:3]
    assert Volunteer.objects.count() >= count
    return {"rows": count, "seconds": round(elapsed, 1), "file_mb": round(len(data) / 1e6, 1)}


def bench_experts(count: int, queries: int = 300) -> dict:
    from kepu.accounts.models import Membership, User
    from kepu.core.actor import Actor
    from kepu.core.seeding import SeedContext
    from kepu.places.models import Place, PlaceLevel
    from kepu.volunteers import selectors
    from kepu.volunteers.models import Audience, EmergencyField, Expert, ExpertField
    from kepu.volunteers.search import index_experts
    from kepu.volunteers.seed import expert_batch

    districts = list(Place.objects.filter(level=PlaceLevel.DISTRICT).order_by("code"))
    ctx = SeedContext(scale="city")
    have = Expert.objects.count()
    for offset in range(have, count, 10_000):
        created = Expert.objects.bulk_create(
            expert_batch(ctx, districts, min(10_000, count - offset), offset), batch_size=5000
        )
        index_experts(created, fresh=True)
    from django.db import connection

    with connection.cursor() as cursor:
        cursor.execute("ANALYZE")
    office = User.objects.get(username="dx.office")
    actor = Actor(user=office, membership=Membership.objects.get(user=office))
    rng = random.Random(7)
    words = ["气象", "王", "北京大学", "急救", "航天", "李明", "人工智能", "营养"]
    timings, slowest = [], []
    for _ in range(queries):
        params = {}
        if rng.random() < 0.6:
            params["field"] = rng.choice(ExpertField.values)
        if rng.random() < 0.5:
            params["district_id"] = rng.choice(districts).pk
        if rng.random() < 0.4:
            params["available"] = True
        if rng.random() < 0.3:
            params["audience"] = rng.choice(Audience.values)
        if rng.random() < 0.2:
            params["emergency"] = True
            if rng.random() < 0.5:
                params["emergency_field"] = rng.choice(EmergencyField.values)
        if rng.random() < 0.4:
            params["q"] = rng.choice(words)
        started = time.perf_counter()
        qs = selectors.expert_search(actor=actor, **params)
        # What the library page does: the count for the pager and the first page of 20, from one query.
        matches = selectors.ExpertMatches(qs)
        total = matches.count()
        rows = matches[0:20]
        timings.append((time.perf_counter() - started) * 1000)
        assert total >= len(rows)
        slowest.append((timings[-1], params))
    slowest.sort(key=lambda t: -t[0])
    for ms, params in slowest[:5]:
        print(f"  slow: {ms:.1f} ms {params}", flush=True)
    return {
        "experts": Expert.objects.count(),
        "queries": queries,
        "p50_ms": round(percentile(timings, 50), 1),
        "p95_ms": round(percentile(timings, 95), 1),
        "max_ms": round(max(timings), 1),
    }


def bench_ledger(entries: int, queries: int = 200) -> dict:
    """Fill the ledger with ``entries`` rows (raw bulk inserts), derive the balances, time organization totals."""
    from django.db import connection, transaction

    from kepu.orgs.models import Organization, OrgKind
    from kepu.volunteers import selectors
    from kepu.volunteers.models import Volunteer

    orgs = list(Organization.objects.filter(kind=OrgKind.VOLUNTEER_ORG).order_by("pk").values_list("pk", flat=True))
    volunteers = list(Volunteer.objects.order_by("pk").values_list("pk", flat=True))
    rng = random.Random(11)
    start = date(2024, 1, 1).toordinal()
    sql = (
        "INSERT INTO volunteers_hoursentry (volunteer_id, organization_id, minutes, source, key, served_on, note, "
        "created_at) VALUES (%s, %s, %s, %s, %s, %s, '', %s)"
    )
    now = "2026-11-23 00:00:00"
    started = time.perf_counter()
    batch = 200_000
    for offset in range(0, entries, batch):
        rows = []
        for i in range(offset, min(entries, offset + batch)):
            v = volunteers[i % len(volunteers)]
            rows.append(
                (
                    v,
                    orgs[v % len(orgs)],
                    rng.choice((60, 90, 120, 180, 240)),
                    "need",
                    f"bench:{i}",
                    date.fromordinal(start + i % 1000).isoformat(),
                    now,
                )
            )
        with transaction.atomic(), connection.cursor() as cursor:
            cursor.executemany(sql, rows)
    fill_seconds = time.perf_counter() - started
    with transaction.atomic(), connection.cursor() as cursor:
        cursor.execute("DELETE FROM volunteers_hoursbalance")
        cursor.execute(
            "INSERT INTO volunteers_hoursbalance (volunteer_id, organization_id, minutes, entries) "
            "SELECT volunteer_id, organization_id, SUM(minutes), COUNT(*) FROM volunteers_hoursentry "
            "GROUP BY volunteer_id, organization_id"
        )
        cursor.execute("ANALYZE")
    target = orgs[0]
    timings = []
    for i in range(queries):
        org = orgs[i % len(orgs)] if i % 2 else target
        t = time.perf_counter()
        selectors.organization_minutes(org)
        timings.append((time.perf_counter() - t) * 1000)
    t = time.perf_counter()
    with connection.cursor() as cursor:
        cursor.execute("SELECT SUM(minutes) FROM volunteers_hoursentry WHERE organization_id = %s", [target])
        ledger_sum = cursor.fetchone()[0]
    scan_ms = (time.perf_counter() - t) * 1000
    assert ledger_sum == selectors.organization_minutes(target)
    with connection.cursor() as cursor:
        cursor.execute("SELECT COUNT(*) FROM volunteers_hoursentry")
        total_rows = cursor.fetchone()[0]
        cursor.execute("SELECT COUNT(*) FROM volunteers_hoursentry WHERE organization_id = %s", [target])
        org_rows = cursor.fetchone()[0]
    return {
        "ledger_rows": total_rows,
        "rows_of_measured_org": org_rows,
        "fill_seconds": round(fill_seconds, 1),
        "total_p50_ms": round(percentile(timings, 50), 2),
        "total_p95_ms": round(percentile(timings, 95), 2),
        "ledger_scan_ms_for_comparison": round(scan_ms, 1),
    }


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--volunteers", type=int, default=10_000)
    parser.add_argument("--experts", type=int, default=10_000)
    parser.add_argument("--ledger", type=int, default=100_000)
    parser.add_argument("--db", default=str(ROOT / "var" / "bench-volunteers.sqlite3"))
    parser.add_argument(
        "--stages",
        default="import,experts,ledger",
        help="comma-separated; the ledger stage needs the volunteers of the import stage",
    )
    parser.add_argument(
        "--reuse",
        action="store_true",
        help="keep an existing database (e.g. to time the searches again without rebuilding)",
    )
    args = parser.parse_args()
    stages = set(args.stages.split(","))
    setup(Path(args.db), reuse=args.reuse)
    print(f"{database_version()}, {os.cpu_count()} cpus, load {os.getloadavg()[0]:.1f}", flush=True)
    if "import" in stages:
        print("import:", bench_import(args.volunteers), flush=True)
    if "experts" in stages:
        print("experts:", bench_experts(args.experts), flush=True)
    if "ledger" in stages:
        print("ledger:", bench_ledger(args.ledger), flush=True)
    print(f"load {os.getloadavg()[0]:.1f}", flush=True)


def database_version() -> str:
    from django.db import connection

    if connection.vendor == "postgresql":
        with connection.cursor() as cursor:
            cursor.execute("SHOW server_version")
            return f"PostgreSQL {cursor.fetchone()[0]}"
    import sqlite3

    return f"SQLite {sqlite3.sqlite_version}"


if __name__ == "__main__":
    main()
