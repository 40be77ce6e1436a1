"""Benchmark of the activities app: calendar, activity page and dashboard latency, sign-ups per second.

Builds its own database (a SQLite file under /tmp, or the PostgreSQL database in
DATABASE_URL), loads the demo seed, then bulk-generates activities, sessions and
registrations, and times requests through Django's test client (the whole stack minus the
network). See bench/activities/README.md for the figures and the command.
"""

from __future__ import annotations

import argparse
import json
import os
import random
import secrets
import statistics
import sys
import threading
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
    settings.KEPU_SMS_BACKEND = "kepu.core.messaging.LocmemSmsBackend"
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]


# Registrations are generated inside the database from a plan of one row per session: the
# k-th registration of a session is confirmed while k is within its capacity, else waiting
# with waiting_seq k - capacity; 7 in 10 confirmed ones of past sessions are checked in; the
# population cycles with k. ``generate`` computes the session tallies from the same rule, so
# they match the rows without re-reading 10 million of them. The statement is plain SQL that
# SQLite and PostgreSQL both run.
POPS_SQL = (
    "CASE (p.i + n.k) %% 6 WHEN 0 THEN 'youth' WHEN 1 THEN 'farmers' WHEN 2 THEN 'workers' "
    "WHEN 3 THEN 'elderly' WHEN 4 THEN 'officials' ELSE 'other' END"
)
REGISTRATIONS_SQL = f"""
INSERT INTO activities_registration (created_at, updated_at, session_id, name, head_count, population, note,
    status, waiting_seq, ticket_code, checked_in_at)
SELECT %(stamp)s, %(stamp)s, p.session_id, '居民' || p.session_id || '-' || n.k, 1, {POPS_SQL}, '',
    CASE WHEN n.k <= p.capacity THEN 'confirmed' ELSE 'waiting' END,
    CASE WHEN n.k > p.capacity THEN n.k - p.capacity END,
    'B' || p.session_id || '-' || n.k,
    CASE WHEN p.past = 1 AND n.k <= p.capacity AND (n.k * 7) %% 10 < 7 THEN s.starts_at END
FROM bench_plan p JOIN bench_numbers n ON n.k <= p.n JOIN activities_session s ON s.id = p.session_id
WHERE p.i >= %(lo)s AND p.i < %(hi)s
"""
POP_ORDER = ("youth", "farmers", "workers", "elderly", "officials", "other")


def _plan_tallies(s, i: int, n: int, past: bool) -> None:
    """The tallies of a session whose registrations follow REGISTRATIONS_SQL's rule."""
    confirmed = min(n, s.capacity)
    s.seats_taken = confirmed
    s.next_waiting_seq = max(n - s.capacity, 0) + 1
    s.registered = n
    if past:
        for k in range(1, confirmed + 1):
            if (k * 7) % 10 < 7:
                s.checked_in += 1
                field = f"att_{POP_ORDER[(i + k) % 6]}"
                setattr(s, field, getattr(s, field) + 1)


def generate(n_activities: int, n_registrations: int, seed: int, out) -> None:
    from django.db import connection, transaction
    from django.utils import timezone

    from kepu.activities.models import (
        Activity,
        ActivityKind,
        ActivityStatus,
        Session,
        Theme,
        Topic,
        WalkIn,
    )
    from kepu.core.populations import Population
    from kepu.orgs.models import Organization

    existing = Activity.objects.count()
    if existing >= n_activities:
        out(f"  {existing} activities already there; generation skipped")
        return
    rng = random.Random(seed)
    orgs = list(Organization.objects.select_related("place").all())
    themes = list(Theme.objects.all())
    tz = timezone.get_current_timezone()
    year_start = datetime(timezone.localdate().year, 1, 1, tzinfo=tz)
    kinds = [k for k in ActivityKind.values if k != ActivityKind.VISIT]
    pops = list(Population.values)
    topics = list(Topic.values)
    per_activity = max(n_registrations // max(n_activities, 1), 1)
    started = time.monotonic()
    now = timezone.now()
    vendor = connection.vendor
    with connection.cursor() as cursor:
        cursor.execute("DROP TABLE IF EXISTS bench_plan")
        cursor.execute("DROP TABLE IF EXISTS bench_numbers")
        cursor.execute(
            "CREATE TABLE bench_plan (i integer PRIMARY KEY, session_id bigint, n integer, "
            "capacity integer, past integer)"
        )
        cursor.execute("CREATE TABLE bench_numbers (k integer PRIMARY KEY)")
    plan_rows, max_n, made_regs, index = [], 1, 0, 0
    batch = 5000
    for first in range(0, n_activities, batch):
        count = min(batch, n_activities - first)
        with transaction.atomic():
            acts, spans = [], []
            for i in range(count):
                org = rng.choice(orgs)
                start = year_start + timedelta(days=rng.randint(0, 364), hours=rng.choice([9, 10, 14, 15, 19]))
                n_sessions = rng.choice([1, 1, 1, 2, 3])
                starts = [start + timedelta(days=7 * k) for k in range(n_sessions)]
                a_topics = rng.sample(topics, rng.choice([1, 1, 2]))
                a_pops = rng.sample(pops[:5], rng.choice([1, 1, 2]))
                acts.append(
                    Activity(
                        organization=org,
                        place=org.place,
                        place_path=org.place.path,
                        district_code=org.place.district_code,
                        title=f"科普活动 {first + i}",
                        summary="城市规模基准数据",
                        kind=rng.choice(kinds),
                        topics=f",{','.join(a_topics)},",
                        populations=f",{','.join(a_pops)},",
                        theme=rng.choice(themes) if rng.random() < 0.4 else None,
                        address=org.place.name,
                        status=ActivityStatus.PUBLISHED,
                        is_public=rng.random() < 0.95,
                        starts_at=start,
                        ends_at=starts[-1] + timedelta(hours=2),
                        next_at=next((x for x in starts if x + timedelta(hours=2) >= now), None),
                    )
                )
                spans.append(starts)
            Activity.objects.bulk_create(acts, batch_size=1000)
            sessions, walk_ins, wants = [], [], []
            for a, starts in zip(acts, spans, strict=True):
                want = rng.randint(per_activity // 2, per_activity * 3 // 2) if per_activity > 1 else per_activity
                for k, s_start in enumerate(starts):
                    s = Session(
                        activity=a,
                        starts_at=s_start,
                        ends_at=s_start + timedelta(hours=2),
                        capacity=rng.choice([30, 50, 100, 200]),
                        is_first=k == 0,
                        counted=True,
                        place_path=a.place_path,
                        district_code=a.district_code,
                        organization_id_copy=a.organization_id,
                        theme_id_copy=a.theme_id,
                    )
                    # The registrations of the activity go round the sessions, as before.
                    n = want // len(starts) + (1 if k < want % len(starts) else 0)
                    _plan_tallies(s, index, n, s_start < now)
                    sessions.append(s)
                    wants.append((index, n, s_start < now))
                    index += 1
                    max_n = max(max_n, n)
                if rng.random() < 0.3:
                    s, pop, n = sessions[-len(starts)], rng.choice(pops), rng.randint(1, 20)
                    s.walk_in_count += n
                    setattr(s, f"att_{pop}", getattr(s, f"att_{pop}") + n)
                    walk_ins.append(WalkIn(session=s, head_count=n, population=pop))
            Session.objects.bulk_create(sessions, batch_size=2000)
            WalkIn.objects.bulk_create(walk_ins, batch_size=2000)
            rows = [(i, s.pk, n, s.capacity, int(past)) for s, (i, n, past) in zip(sessions, wants, strict=True)]
            with connection.cursor() as cursor:
                cursor.executemany("INSERT INTO bench_plan VALUES (%s, %s, %s, %s, %s)", rows)
            plan_rows.extend(rows)
            made_regs += sum(r[2] for r in rows)
        out(f"  {first + count} activities, {index} sessions planned ({time.monotonic() - started:.0f} s)")
    with connection.cursor() as cursor:
        cursor.executemany("INSERT INTO bench_numbers VALUES (%s)", [(k,) for k in range(1, max_n + 1)])
        stamp = connection.ops.adapt_datetimefield_value(now)
        step = 10_000
        done = 0
        for lo in range(0, index, step):
            with transaction.atomic():
                cursor.execute(REGISTRATIONS_SQL, {"stamp": stamp, "lo": lo, "hi": lo + step})
            done += sum(r[2] for r in plan_rows[lo : lo + step])
            rate = done / max(time.monotonic() - started, 1e-9)
            out(f"  {done:,} registrations ({rate:,.0f}/s overall)")
        cursor.execute("DROP TABLE bench_plan")
        cursor.execute("DROP TABLE bench_numbers")
    out(f"  generated {made_regs:,} registrations in {time.monotonic() - started:.0f} s ({vendor})")
    rebuild(out)


def rebuild(out) -> None:
    """Derived tables (tags, roll-up) from what was generated, then planner statistics."""
    from django.core.management import call_command
    from django.db import connection

    t0 = time.monotonic()
    call_command("activities_rebuild", verbosity=0)
    out(f"  activities_rebuild in {time.monotonic() - t0:.0f} s")
    with connection.cursor() as cursor:
        cursor.execute("ANALYZE")


def percentile(values, p):
    values = sorted(values)
    k = max(int(round(p / 100 * len(values) + 0.5)) - 1, 0)
    return values[min(k, len(values) - 1)]


def time_requests(client, urls, repeat):
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    queries = 0
    for url in dict.fromkeys(urls):  # the most queries any of the URLs makes (an N+1 would show here)
        with CaptureQueriesContext(connection) as captured:
            client.get(url)
        queries = max(queries, len(captured.captured_queries))
    times = []
    for i in range(repeat):
        url = urls[i % len(urls)]
        t0 = time.perf_counter()
        response = client.get(url)
        times.append((time.perf_counter() - t0) * 1000)
        assert response.status_code == 200, (url, response.status_code)
    return {
        "n": len(times),
        "p50_ms": round(statistics.median(times), 1),
        "p95_ms": round(percentile(times, 95), 1),
        "max_ms": round(max(times), 1),
        "max_queries": queries,
    }


def measure_pages(repeat: int, seed: int) -> dict:
    from django.test import Client
    from django.utils import timezone

    from kepu.accounts.middleware import SESSION_KEY
    from kepu.accounts.models import Membership
    from kepu.activities.models import Activity
    from kepu.core.roles import Role
    from kepu.places.models import Place, PlaceLevel

    rng = random.Random(seed)
    districts = list(Place.objects.filter(level=PlaceLevel.DISTRICT).values_list("code", flat=True))
    year = timezone.localdate().year
    calendar_urls = ["/activities/"]
    for _ in range(30):
        calendar_urls.append(
            rng.choice(
                [
                    f"/activities/?district={rng.choice(districts)}",
                    f"/activities/?population={rng.choice(['youth', 'elderly', 'farmers'])}&theme=national-science-day",
                    f"/activities/?topic=health&from={year}-09-01&to={year}-09-30",
                    f"/activities/?kind=lecture&district={rng.choice(districts)}&page=2",
                    "/activities/?q=科普活动 12",
                ]
            )
        )
    max_id = Activity.objects.order_by("-pk").values_list("pk", flat=True).first()
    ids = list(
        Activity.objects.filter(
            pk__in=[rng.randint(1, max_id) for _ in range(300)], status="published", is_public=True
        ).values_list("pk", flat=True)
    )[:100]
    anon = Client()
    results = {
        "calendar": time_requests(anon, calendar_urls, repeat),
        "activity_page": time_requests(anon, [f"/activities/{i}/" for i in ids], repeat),
    }
    for role, label in ((Role.DISTRICT_ADMIN, "dashboard_district"), (Role.CITY_ADMIN, "dashboard_city")):
        m = Membership.objects.filter(role=role, is_active=True).select_related("user").order_by("pk").first()
        client = Client()
        client.force_login(m.user)
        session = client.session
        session[SESSION_KEY] = m.pk
        session.save()
        results[label] = time_requests(
            client,
            ["/activities/dashboard/", f"/activities/dashboard/?from={year}-05-01&to={year}-05-31"],
            max(repeat // 4, 10),
        )
    return results


def measure_signups(n_people: int, threads: int, capacity: int) -> dict:
    from django.db import connection
    from django.utils import timezone

    from kepu.accounts.models import Membership, User
    from kepu.activities import services
    from kepu.activities.models import Registration
    from kepu.core.actor import Actor
    from kepu.core.roles import Role
    from kepu.orgs.models import Organization, OrgKind

    unit = Membership.objects.filter(role=Role.UNIT_STAFF).select_related("organization__place", "user").first()
    unit_actor = Actor(user=unit.user, membership=unit)
    start = timezone.now() + timedelta(days=3)
    activity = services.activity_create(
        actor=unit_actor,
        organization=unit.organization,
        title="并发报名基准",
        address="基准",
        sessions=[(start, start + timedelta(hours=2), capacity)],
    )
    activity = services.activity_submit(actor=unit_actor, activity=activity)
    session = activity.sessions.get()
    committee = Organization.objects.filter(kind=OrgKind.COMMUNITY).first()
    tag = secrets.token_hex(3)
    users = User.objects.bulk_create([User(username=f"bench-{tag}-{i}", name=f"基准{i}") for i in range(n_people)])
    members = Membership.objects.bulk_create(
        [Membership(user=u, organization=committee, role=Role.RESIDENT) for u in users]
    )
    actors = [Actor(user=u, membership=m) for u, m in zip(users, members, strict=True)]
    chunks = [actors[i::threads] for i in range(threads)]
    errors = []
    barrier = threading.Barrier(threads)

    def work(chunk):
        try:
            barrier.wait()
            for a in chunk:
                services.registration_create(actor=a, session=session)
        except Exception as exc:  # noqa: BLE001 - reported in the result
            errors.append(repr(exc))
        finally:
            connection.close()

    pool = [threading.Thread(target=work, args=(c,)) for c in chunks]
    t0 = time.perf_counter()
    for t in pool:
        t.start()
    for t in pool:
        t.join()
    elapsed = time.perf_counter() - t0
    confirmed = Registration.objects.filter(session=session, status="confirmed").count()
    waiting = Registration.objects.filter(session=session, status="waiting").count()
    return {
        "people": n_people,
        "threads": threads,
        "capacity": capacity,
        "seconds": round(elapsed, 2),
        "signups_per_s": round(n_people / elapsed, 1),
        "confirmed": confirmed,
        "waiting": waiting,
        "errors": errors[:3],
    }


def main():
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--activities", type=int, default=10_000)
    parser.add_argument("--registrations", type=int, default=500_000)
    parser.add_argument("--repeat", type=int, default=200, help="requests per page kind")
    parser.add_argument("--threads", type=int, default=8)
    parser.add_argument("--signups", type=int, default=1000)
    parser.add_argument("--seed", type=int, default=2026)
    parser.add_argument("--sqlite-path", default="/tmp/kepu-bench-activities.sqlite3")
    parser.add_argument("--fresh", action="store_true", help="start from an empty database")
    args = parser.parse_args()
    if args.fresh and not os.environ.get("DATABASE_URL") and os.path.exists(args.sqlite_path):
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
        call_command("seed_demo", scale="demo", quiet_logins=True, stdout=open(os.devnull, "w"))  # noqa: SIM115
    out(f"database: {connection.vendor}; generating {args.activities} activities / {args.registrations} registrations")
    generate(args.activities, args.registrations, args.seed, out)
    out(f"  ready in {time.monotonic() - t0:.0f} s")
    from kepu.activities.models import Activity, Registration, Session

    sizes = {
        "activities": Activity.objects.count(),
        "sessions": Session.objects.count(),
        "registrations": Registration.objects.count(),
    }
    out(f"  sizes: {sizes}")
    pages = measure_pages(args.repeat, args.seed)
    signups = measure_signups(args.signups, args.threads, capacity=200)
    result = {
        "database": connection.vendor,
        "sizes": sizes,
        "pages": pages,
        "signups": signups,
        "at": datetime.now().isoformat(timespec="seconds"),
        "load_average": os.getloadavg(),
    }
    print(json.dumps(result, ensure_ascii=False, indent=2))  # noqa: T201


if __name__ == "__main__":
    main()
