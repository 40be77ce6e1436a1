"""Benchmark of science bases: the public list and map, the base page and the API at city scale.

Builds its own database (a SQLite file under /tmp, or the PostgreSQL database in DATABASE_URL),
loads the demo seed, then bulk-generates bases with their host organizations, venues, visit-booking
activities and slots (the activities engine's own tables), and visits (registrations) at those slots,
with every slot's tallies filled as the services would. Times requests through Django's test client
(the whole stack minus the network). See bench/README.md for the figures and the command.
"""

from __future__ import annotations

import argparse
import json
import math
import os
import random
import statistics
import sys
import time
from datetime import datetime, timedelta
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(ROOT))


def setup(db_path: str | None):
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "kepu.settings")
    os.environ.setdefault("KEPU_TESTING", "1")  # development keys; nothing else in the settings changes
    if not os.environ.get("DATABASE_URL"):
        os.environ["KEPU_SQLITE_PATH"] = db_path
    import django

    django.setup()
    from django.conf import settings

    settings.ALLOWED_HOSTS = ["*"]
    settings.TASKS = {"default": {"BACKEND": "django_tasks.backends.immediate.ImmediateBackend"}}


# Visits are generated inside the database from a plan of one row per slot: the k-th visit of a slot is
# a confirmed booking of one person; 7 in 10 of those at past slots were checked in; the population
# alternates. The slot's tallies are computed in Python from the same rule before the slot is inserted.
VISITS_SQL = """
INSERT INTO activities_registration (created_at, updated_at, session_id, name, head_count, population, note,
    status, waiting_seq, ticket_code, checked_in_at, late_entry_reason)
SELECT %(stamp)s, %(stamp)s, p.session_id, '访客' || p.session_id || '-' || n.k, 1,
    CASE (p.i + n.k) %% 2 WHEN 0 THEN 'youth' ELSE 'elderly' END, '', 'confirmed', NULL,
    'V' || p.session_id || '-' || n.k,
    CASE WHEN p.past = 1 AND (n.k * 7) %% 10 < 7 THEN s.starts_at END, ''
FROM bench_plan p JOIN bench_numbers n ON n.k <= p.n JOIN activities_session s ON s.id = p.session_id
WHERE p.i >= %(lo)s AND p.i < %(hi)s
"""
HOURS = {str(d): [["09:00", "11:00"], ["14:00", "16:00"]] for d in range(1, 7)}  # closed on Mondays
THEMES = ["astronomy", "health", "environment", "safety", "ai", "farming", "engineering", "earth", "culture"]
POPS = ["youth", "farmers", "workers", "elderly", "officials"]


def _tallies(s, i: int, n: int, past: bool) -> None:
    s.seats_taken = n
    s.registered = n
    if past:
        for k in range(1, n + 1):
            if (k * 7) % 10 < 7:
                s.checked_in += 1
                field = "att_youth" if (i + k) % 2 == 0 else "att_elderly"
                setattr(s, field, getattr(s, field) + 1)


def generate(n_bases: int, n_visits: int, days_back: int, days_ahead: int, seed: int, out) -> None:
    from django.db import connection, transaction
    from django.utils import timezone

    from kepu.activities.models import Activity, ActivityKind, ActivityStatus, Session, Venue
    from kepu.activities.services import venue_slots
    from kepu.bases.models import Base
    from kepu.orgs.models import Organization, OrgKind
    from kepu.places import maps
    from kepu.places.models import Place, PlaceLevel

    if Base.objects.count() >= n_bases:
        out(f"  {Base.objects.count()} bases already there; generation skipped")
        return
    rng = random.Random(seed)
    streets = list(Place.objects.filter(level=PlaceLevel.STREET).order_by("code"))
    shapes, frame = maps.beijing()
    centre = {}
    for s in shapes:  # the label point of each district, back in degrees, for plausible coordinates
        lon = s.label_x / frame.scale / math.cos(math.radians(maps.LAT0)) + frame.min_lon - maps.PAD / frame.scale
        lat = frame.max_lat - (s.label_y - maps.PAD) / frame.scale
        centre[s.code] = (lon, lat)
    today = timezone.localdate()
    days = [today + timedelta(days=k) for k in range(-days_back, days_ahead + 1)]
    per_slot = max(1, round(n_visits / (n_bases * 0.9 * len(days) * 2 * 6 / 7)))
    started = time.monotonic()
    with connection.cursor() as cursor:
        cursor.execute("DROP TABLE IF EXISTS bench_plan")
        cursor.execute("DROP TABLE IF EXISTS bench_numbers")
        cursor.execute("CREATE TABLE bench_plan (i integer PRIMARY KEY, session_id bigint, n integer, past integer)")
        cursor.execute("CREATE TABLE bench_numbers (k integer PRIMARY KEY)")
        cursor.executemany("INSERT INTO bench_numbers VALUES (%s)", [(k,) for k in range(1, 41)])
    index, planned = 0, 0
    batch = 500
    now = timezone.now()
    for first in range(0, n_bases, batch):
        count = min(batch, n_bases - first)
        with transaction.atomic():
            places = [rng.choice(streets) for _ in range(count)]
            orgs = Organization.objects.bulk_create(
                [
                    Organization(name=f"{p.name}科普场馆{first + i}", kind=OrgKind.SCIENCE_BASE, place=p)
                    for i, p in enumerate(places)
                ]
            )
            venues = Venue.objects.bulk_create(
                [
                    Venue(
                        organization=o, place=o.place, name=o.name, address=o.place.name, opening_hours=HOURS,
                        slot_minutes=120, slot_capacity=20,
                    )
                    for o in orgs
                ]
            )  # fmt: skip
            bases = []
            for i, (o, v) in enumerate(zip(orgs, venues, strict=True)):
                r = rng.random()
                standing = "certified" if r < 0.85 else "revoked" if r < 0.9 else "expired" if r < 0.95 else "new"
                level = rng.choices(["district", "city", "national"], [80, 17, 3])[0] if standing != "new" else ""
                lon, lat = centre.get(o.place.district_code, (116.4, 39.9))
                expired = standing == "expired"
                bases.append(
                    Base(
                        organization=o,
                        name=f"{o.place.name}科技馆{first + i}",
                        category=rng.choice(["venue", "research", "communication"]),
                        standing=standing,
                        level=level,
                        term_start=today - timedelta(days=rng.randint(400, 900)) if standing != "new" else None,
                        term_end=(
                            today - timedelta(days=20) if expired else today + timedelta(days=rng.randint(200, 900))
                        )
                        if standing != "new"
                        else None,
                        place=o.place,
                        place_path=o.place.path,
                        district_code=o.place.district_code,
                        address=f"{o.place.name}科普路{i}号",
                        latitude=round(lat + rng.uniform(-0.05, 0.05), 6),
                        longitude=round(lon + rng.uniform(-0.05, 0.05), 6),
                        exhibition_area=rng.randint(300, 20000),
                        open_days_per_year=rng.randint(150, 330),
                        student_policy=rng.choice(["free", "free_days", "discounted", "none"]),
                        student_days_per_year=rng.randint(10, 300),
                        guides=rng.randint(1, 30),
                        themes=f",{','.join(rng.sample(THEMES, rng.choice([1, 2, 3])))},",
                        populations=f",{','.join(rng.sample(POPS, rng.choice([1, 2])))},",
                        summary="城市规模基准数据",
                        venue=v,
                    )
                )
            Base.objects.bulk_create(bases)
            booking = [b for b in bases if b.standing != "new" and rng.random() < 0.9]
            acts = Activity.objects.bulk_create(
                [
                    Activity(
                        organization=b.organization, place=b.place, place_path=b.place_path,
                        district_code=b.district_code, venue=b.venue, kind=ActivityKind.VISIT,
                        title=f"预约参观{b.name}", status=ActivityStatus.PUBLISHED,
                        registration_closes_at=now if b.standing in ("revoked", "expired") else None,
                    )
                    for b in booking
                ]
            )  # fmt: skip
            sessions, plan = [], []
            for a, b in zip(acts, booking, strict=True):
                slots = [s for d in days for s in venue_slots(b.venue, d)]
                for k, (s_start, s_end) in enumerate(slots):
                    s = Session(
                        activity=a, starts_at=s_start, ends_at=s_end, capacity=20, is_first=k == 0, counted=True,
                        place_path=a.place_path, district_code=a.district_code, organization_id_copy=a.organization_id,
                    )  # fmt: skip
                    n = min(20, max(0, round(rng.gauss(per_slot, per_slot / 3))))
                    _tallies(s, index, n, s_start < now)
                    sessions.append(s)
                    plan.append((index, n, s_start < now))
                    index += 1
                if slots:
                    Activity.objects.filter(pk=a.pk).update(
                        starts_at=slots[0][0],
                        ends_at=slots[-1][1],
                        next_at=next((x for x, _e in slots if x >= now), None),
                    )
            Session.objects.bulk_create(sessions, batch_size=5000)
            rows = [(i, s.pk, n, int(past)) for s, (i, n, past) in zip(sessions, plan, strict=True)]
            with connection.cursor() as cursor:
                cursor.executemany("INSERT INTO bench_plan VALUES (%s, %s, %s, %s)", rows)
            planned += sum(r[2] for r in rows)
        out(
            f"  {first + count} bases, {index:,} slots, {planned:,} visits planned ({time.monotonic() - started:.0f} s)"
        )
    with connection.cursor() as cursor:
        stamp = connection.ops.adapt_datetimefield_value(now)
        for lo in range(0, index, 20_000):
            with transaction.atomic():
                cursor.execute(VISITS_SQL, {"stamp": stamp, "lo": lo, "hi": lo + 20_000})
        cursor.execute("DROP TABLE bench_plan")
        cursor.execute("DROP TABLE bench_numbers")
        cursor.execute("ANALYZE")
    out(f"  generated in {time.monotonic() - started:.0f} s")


def percentile(values, p):
    values = sorted(values)
    k = max(int(round(p / 100 * len(values) + 0.5)) - 1, 0)
    return values[min(k, len(values) - 1)]


def time_requests(client, urls, repeat, **headers):
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    queries = 0
    for url in dict.fromkeys(urls):  # the most queries any of the URLs makes (an N+1 would show here)
        with CaptureQueriesContext(connection) as captured:
            client.get(url, **headers)
        queries = max(queries, len(captured.captured_queries))
    times = []
    for i in range(repeat):
        url = urls[i % len(urls)]
        t0 = time.perf_counter()
        response = client.get(url, **headers)
        times.append((time.perf_counter() - t0) * 1000)
        assert response.status_code == 200, (url, response.status_code)
    return {
        "n": len(times),
        "p50_ms": round(statistics.median(times), 1),
        "p95_ms": round(percentile(times, 95), 1),
        "max_ms": round(max(times), 1),
        "max_queries": queries,
    }


def measure(repeat: int, seed: int) -> dict:
    from django.test import Client

    from kepu.bases.models import Base
    from kepu.bases.selectors import listed_q
    from kepu.places.models import Place, PlaceLevel
    from kepu.plans.measures import compute_measure

    rng = random.Random(seed)
    districts = list(Place.objects.filter(level=PlaceLevel.DISTRICT).values_list("code", flat=True))
    lists = ["/bases/"]
    for _ in range(40):
        d = rng.choice(districts)
        lists.append(
            rng.choice(
                [
                    f"/bases/?district={d}",
                    f"/bases/?category=venue&theme={rng.choice(THEMES)}",
                    "/bases/?students=1",
                    "/bases/?weekend=1",
                    f"/bases/?weekend=1&district={d}",
                    f"/bases/?level=city&population={rng.choice(POPS)}",
                    "/bases/?q=科技馆1",
                    f"/bases/?page={rng.randint(2, 50)}",
                ]
            )
        )
    ids = list(Base.objects.filter(listed_q()).order_by("?").values_list("pk", flat=True)[:200])
    anon = Client()
    results = {
        "list_and_map": time_requests(anon, lists, repeat),
        "list_fragment_htmx": time_requests(anon, lists, repeat, HTTP_HX_REQUEST="true", HTTP_HX_TARGET="results"),
        "base_page": time_requests(anon, [f"/bases/{i}/" for i in ids], repeat),
        "api_list": time_requests(
            anon, [f"/api/v1/bases/?district={rng.choice(districts)}" for _ in range(20)], max(repeat // 2, 20)
        ),
    }
    measures = {}
    for key in ("bases.certified", "bases.visitors", "bases.open_days"):
        for label, filters in (("city", {}), ("district", {"place": districts[0]})):
            t0 = time.perf_counter()
            value = compute_measure(key, filters)
            measures[f"{key} {label}"] = {"value": str(value), "ms": round((time.perf_counter() - t0) * 1000, 1)}
    results["measures"] = measures
    results["statistics_prefill"] = prefill_figures(districts[0])
    return results


def prefill_figures(district: str) -> dict:
    """What the statistics ask when they pre-fill a district: every host organization of a base there, one
    form each, open days and visitors for this year, in one batch (as ``kepu.statistics.services.prefill``)."""
    from django.db import connection
    from django.test.utils import CaptureQueriesContext
    from django.utils import timezone

    from kepu.bases.models import Base
    from kepu.core.measures import batch, measure_figures

    hosts = sorted(set(Base.objects.filter(district_code=district).values_list("organization_id", flat=True)))
    year = timezone.localdate().year
    filters = [{"organizations": [h], "year": year} for h in hosts]
    t0 = time.perf_counter()
    with CaptureQueriesContext(connection) as captured, batch():
        days = measure_figures("bases.open_days", filters)
        people = measure_figures("bases.visitors", filters)
    return {
        "forms": len(hosts),
        "open_days": str(sum(f.value for f in days)),
        "visitors": str(sum(f.value for f in people)),
        "ms": round((time.perf_counter() - t0) * 1000, 1),
        "queries": len(captured.captured_queries),
    }


def main():
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--bases", type=int, default=5000)
    parser.add_argument("--visits", type=int, default=1_000_000)
    parser.add_argument("--days-back", type=int, default=60)
    parser.add_argument("--days-ahead", type=int, default=14)
    parser.add_argument("--repeat", type=int, default=300, help="requests per page kind")
    parser.add_argument("--seed", type=int, default=2026)
    parser.add_argument("--sqlite-path", default="/tmp/kepu-bench-bases.sqlite3")
    parser.add_argument("--fresh", action="store_true", help="start from an empty database")
    args = parser.parse_args()
    if args.fresh and not os.environ.get("DATABASE_URL"):
        for suffix in ("", "-wal", "-shm"):
            if os.path.exists(args.sqlite_path + suffix):
                os.remove(args.sqlite_path + suffix)
    setup(args.sqlite_path)
    from django.core.management import call_command
    from django.db import connection

    from kepu.accounts.models import User

    def out(msg):
        print(msg, flush=True)  # noqa: T201 - a command-line tool

    t0 = time.monotonic()
    call_command("migrate", verbosity=0)
    if not User.objects.filter(username="city.admin").exists():
        call_command(
            "seed_demo", scale="demo", quiet_logins=True, only="places,orgs,accounts,activities,volunteers,bases",
            stdout=open(os.devnull, "w"),  # noqa: SIM115
        )  # fmt: skip
    out(f"database: {connection.vendor}; generating {args.bases} bases / {args.visits} visits")
    generate(args.bases, args.visits, args.days_back, args.days_ahead, args.seed, out)
    out(f"  ready in {time.monotonic() - t0:.0f} s")
    from kepu.activities.models import Registration, Session
    from kepu.bases.models import Base
    from kepu.bases.selectors import listed_q

    sizes = {
        "bases": Base.objects.count(),
        "listed": Base.objects.filter(listed_q()).count(),
        "slots": Session.objects.filter(activity__kind="visit").count(),
        "visits": Registration.objects.filter(session__activity__kind="visit").count(),
    }
    out(f"  sizes: {sizes}")
    result = {
        "database": connection.vendor,
        "sizes": sizes,
        "pages": measure(args.repeat, args.seed),
        "at": datetime.now().isoformat(timespec="seconds"),
        "load_average": os.getloadavg(),
    }
    print(json.dumps(result, ensure_ascii=False, indent=2))  # noqa: T201


if __name__ == "__main__":
    main()
