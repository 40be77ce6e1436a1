"""Benchmark of the leaders' page (一张图) and the monthly report at city scale.

Builds its own database (a SQLite file under /tmp, or the PostgreSQL database in DATABASE_URL), loads the demo
seed, then bulk-generates what the page reads: the orders' three-rates roll-up (``OrderRollup`` month rows) and the
activities' monthly roll-up (``FiguresMonth``, and its district table) for every community of the city over this year
and last, the volunteers' hours ledger (``HoursEntry``) and their hours per month (``HoursMonth``: the ledger's, plus
three generated teams per community), then the street-month rows the page reads. Times the city page, the
district pages and street pages through Django's test client (the whole stack minus the network), counting each
URL's queries once, then the monthly reports of all districts (PDF and .docx). See bench/leaders/README.md.
"""

from __future__ import annotations

import argparse
import json
import os
import random
import statistics
import sys
import time
from datetime import date
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(ROOT))


def setup(db_path: str | None):
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "kepu.settings")
    os.environ.setdefault("KEPU_TESTING", "1")
    if not os.environ.get("DATABASE_URL"):
        os.environ["KEPU_SQLITE_PATH"] = db_path
    import django

    django.setup()
    from django.conf import settings

    settings.ALLOWED_HOSTS = ["*"]
    settings.TASKS = {"default": {"BACKEND": "django_tasks.backends.immediate.ImmediateBackend"}}


def grow_city(per_street: int, out) -> None:
    """Communities for every street that has none (the demo's tree has them in two districts only), so the roll-ups
    cover all 16 districts: Beijing has about 7,100 communities and villages under its 343 streets and towns,
    about 20 a street. Generated codes end in 9xx and are marked unofficial."""
    from kepu.places.models import Place, PlaceLevel

    bare = list(
        Place.objects.filter(level=PlaceLevel.STREET).exclude(children__level=PlaceLevel.COMMUNITY).order_by("path")
    )
    rows = [
        Place(
            code=f"{street.code}{900 + n}", official=False, name=f"{street.name}第{n + 1}社区",
            level=PlaceLevel.COMMUNITY, parent=street, path=f"{street.path}{street.code}{900 + n}/",
            district_code=street.district_code,
        )
        for street in bare for n in range(per_street)
    ]  # fmt: skip
    Place.objects.bulk_create(rows, batch_size=2000, ignore_conflicts=True)
    out(f"  city tree: {len(rows)} communities added under {len(bare)} streets")


def generate(n_hours: int, per_community: int, seed: int, out) -> None:
    from django.db import transaction
    from django.db.models import F

    from kepu.activities.models import FiguresMonth, FiguresMonthDistrict
    from kepu.orders.models import OrderRollup, RollupGrain
    from kepu.orders.rollup import fill_street_months
    from kepu.orgs.models import Organization
    from kepu.places.models import Place, PlaceLevel
    from kepu.volunteers.models import HoursEntry, HoursMonth, HoursMonthDistrict, Volunteer
    from kepu.volunteers.rollup import rebuild as rebuild_hours

    # Generated rows carry negative unit / organizer ids: they never collide with the demo's own rows.
    if OrderRollup.objects.filter(grain=RollupGrain.MONTH, unit_id=-1).exists():
        out("  generated data found; generation skipped")
        return
    rng = random.Random(seed)
    this = date.today().year
    months = [date(y, m, 1) for y in (this - 1, this) for m in range(1, 13) if date(y, m, 1) <= date.today()]
    communities = list(Place.objects.filter(level=PlaceLevel.COMMUNITY).select_related("parent"))
    out(f"  {len(communities)} communities, {len(months)} months")
    rollups, figures = [], []
    districts = {}

    def flush():
        for f in figures:  # the district table is the sum of the fine one, as the services keep it
            d = districts.setdefault(
                (f.month, f.district_code), FiguresMonthDistrict(month=f.month, district_code=f.district_code)
            )
            for name in ("activities", "sessions", "att_youth", "att_elderly", "att_farmers", "att_workers"):
                setattr(d, name, getattr(d, name) + getattr(f, name))
        OrderRollup.objects.bulk_create(rollups, batch_size=2000)
        FiguresMonth.objects.bulk_create(figures, batch_size=2000)
        counts[0] += len(rollups)
        counts[1] += len(figures)
        rollups.clear()
        figures.clear()

    counts = [0, 0]
    transaction.set_autocommit(False)
    for c, k in ((c, k) for c in communities for k in range(1, per_community + 1)):
        street = c.parent
        for m in months:
            total = rng.randint(0, 12)
            routed = rng.randint(0, total)
            claimed = rng.randint(0, routed)
            done = rng.randint(0, claimed)
            rated = rng.randint(0, done)
            rollups.append(
                OrderRollup(
                    grain=RollupGrain.MONTH, period=m, district_id=street.parent_id, street_id=street.pk,
                    community_id=c.pk, unit_id=-k, provider_id=0, total=total, routed=routed,
                    on_time=rng.randint(0, claimed), claimed=claimed, done=done, rated=rated,
                    satisfied=rng.randint(0, rated), rating_sum=rated * 4,
                )
            )  # fmt: skip
            sessions = rng.randint(0, 6)
            figures.append(
                FiguresMonth(
                    month=m, district_code=c.district_code, place_path=c.path, organization_id=-k,
                    theme_id=0, activities=sessions, sessions=sessions, att_youth=rng.randint(0, 200),
                    att_elderly=rng.randint(0, 200), att_farmers=rng.randint(0, 50), att_workers=rng.randint(0, 50),
                )
            )  # fmt: skip
        if len(rollups) >= 50_000:  # a city's rows do not all fit in memory at once
            flush()
    flush()
    teams_per_community = 3
    months_of_teams = [
        HoursMonth(month=m, organization_id=-(c.pk * 10 + k), place_path=c.path, minutes=rng.randint(0, 6000),
                   entries=1)
        for c in communities for k in range(teams_per_community) for m in months
    ]  # fmt: skip
    FiguresMonthDistrict.objects.filter(district_code__in={k[1] for k in districts}).delete()
    FiguresMonthDistrict.objects.bulk_create(districts.values(), batch_size=2000)
    OrderRollup.objects.filter(grain=RollupGrain.STREET_MONTH).delete()
    fill_street_months()
    transaction.commit()
    transaction.set_autocommit(True)
    n_street = OrderRollup.objects.filter(grain=RollupGrain.STREET_MONTH).count()
    out(
        f"  {counts[0]} order roll-up rows (+{n_street} street-month), {counts[1]} activity roll-up rows"
        f" (+{len(districts)} district-month)"
    )
    volunteers = list(Volunteer.objects.values_list("pk", flat=True))
    teams = list(Organization.objects.filter(kind="volunteer_org").values_list("pk", flat=True))
    batch = []
    for i in range(n_hours):
        day = date(rng.choice((this - 1, this)), rng.randint(1, 12), rng.randint(1, 28))
        if day > date.today():
            day = date(this - 1, day.month, day.day)
        batch.append(
            HoursEntry(
                volunteer_id=rng.choice(volunteers), organization_id=rng.choice(teams), minutes=rng.randint(30, 240),
                source="import", key=f"bench-{i}", served_on=day,
            )
        )  # fmt: skip
        if len(batch) == 5000:
            HoursEntry.objects.bulk_create(batch)
            batch = []
    HoursEntry.objects.bulk_create(batch)
    n_months = rebuild_hours()
    HoursMonth.objects.bulk_create(months_of_teams, batch_size=2000)
    # The generated teams' minutes in the district table too, as ``credit_hours`` keeps it.
    district_of = {c.path: c.district_code for c in communities}
    teams_by_district: dict[tuple, list[int]] = {}
    for row in months_of_teams:
        sums = teams_by_district.setdefault((row.month, district_of[row.place_path]), [0, 0])
        sums[0] += row.minutes
        sums[1] += row.entries
    for (month, district), (minutes, entries) in teams_by_district.items():
        row, _ = HoursMonthDistrict.objects.get_or_create(month=month, district_code=district)
        HoursMonthDistrict.objects.filter(pk=row.pk).update(
            minutes=F("minutes") + minutes, entries=F("entries") + entries
        )
    out(
        f"  {n_hours} hours entries; {n_months + len(months_of_teams)} hours-per-month rows"
        f" ({len(months_of_teams)} of {teams_per_community} generated teams per community)"
    )


def registered_volunteers(n: int, rng, out) -> None:
    """``n`` people registered as volunteers, in a generated team of every street (one in ten in two teams): the
    page counts them from the memberships themselves (a person is counted once per place, so no sum of a
    roll-up gives it)."""
    from kepu.accounts.models import Membership, User
    from kepu.core.roles import Role
    from kepu.orgs.models import Organization, OrgKind
    from kepu.places.models import Place, PlaceLevel

    streets = list(Place.objects.filter(level=PlaceLevel.STREET))
    Organization.objects.bulk_create(
        [Organization(name=f"科普志愿服务队（生成）{s.code}", kind=OrgKind.VOLUNTEER_ORG, place=s) for s in streets],
        batch_size=2000,
    )
    teams = list(Organization.objects.filter(name__startswith="科普志愿服务队（生成）").values_list("pk", flat=True))
    made = 0
    for start in range(0, n, 20_000):
        users = User.objects.bulk_create(
            [User(username=f"bench-volunteer-{i}", password="!") for i in range(start, min(n, start + 20_000))]
        )
        rows = []
        for user in users:
            picked = rng.sample(teams, 2 if rng.random() < 0.1 else 1)
            rows += [Membership(user=user, organization_id=t, role=Role.VOLUNTEER, is_active=True) for t in picked]
        Membership.objects.bulk_create(rows, batch_size=5000)
        made += len(rows)
    from kepu.accounts import holders

    holders.rebuild()  # memberships made in bulk send no signal: the kept counts are refilled from them
    out(f"  {n} registered volunteers, {made} memberships in {len(teams)} generated street teams")


def percentile(values, p):
    values = sorted(values)
    k = max(int(round(p / 100 * len(values) + 0.5)) - 1, 0)
    return values[min(k, len(values) - 1)]


def login(client, username: str):
    from kepu.accounts.models import User

    user = User.objects.get(username=username)
    client.force_login(user)
    session = client.session
    session["kepu_membership_id"] = user.memberships.filter(is_active=True).order_by("pk").first().pk
    session.save()


def time_requests(client, urls, repeat):
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    queries = 0
    for url in dict.fromkeys(urls):
        with CaptureQueriesContext(connection) as captured:
            assert client.get(url).status_code == 200, url
        queries = max(queries, len(captured.captured_queries))
    times = []
    for i in range(repeat):
        t0 = time.perf_counter()
        response = client.get(urls[i % len(urls)])
        times.append((time.perf_counter() - t0) * 1000)
        assert response.status_code == 200
    return {
        "n": len(times),
        "p50_ms": round(statistics.median(times), 1),
        "p95_ms": round(percentile(times, 95), 1),
        "max_ms": round(max(times), 1),
        "max_queries": queries,
    }


def measure(repeat: int) -> dict:
    from django.core.cache import cache
    from django.test import Client

    from kepu.places.models import Place, PlaceLevel

    cache.clear()
    city = Place.objects.get(level=PlaceLevel.CITY)
    districts = list(Place.objects.filter(level=PlaceLevel.DISTRICT).values_list("code", flat=True))
    streets = list(Place.objects.filter(level=PlaceLevel.STREET).order_by("?").values_list("code", flat=True)[:50])
    figures = ["activities.person_times", "orders.placed", "volunteers.hours", "orders.satisfaction_rate"]
    client = Client()
    login(client, "city.admin")
    return {
        "city_page": time_requests(client, [f"/leaders/places/{city.code}/?figure={f}" for f in figures], repeat),
        "district_page": time_requests(client, [f"/leaders/places/{d}/" for d in districts], repeat),
        "street_page": time_requests(client, [f"/leaders/places/{s}/" for s in streets], repeat),
    }


def reports() -> dict:
    from django.utils import timezone

    from kepu.core import clock
    from kepu.leaders.models import MonthlyReport
    from kepu.leaders.services import reports_due
    from kepu.orders.selectors import first_working_day

    today = timezone.localdate()
    MonthlyReport.objects.all().delete()
    day = first_working_day(today.year, today.month)
    with clock.frozen_at(timezone.make_aware(timezone.datetime(day.year, day.month, day.day, 9))):
        t0 = time.perf_counter()
        written = reports_due()
        seconds = time.perf_counter() - t0
    return {
        "districts": len(written),
        "seconds": round(seconds, 1),
        "pdf_kib": round(sum(len(bytes(r.pdf)) for r in written) / 1024 / max(len(written), 1), 1),
        "docx_kib": round(sum(len(bytes(r.docx)) for r in written) / 1024 / max(len(written), 1), 1),
    }


def main():
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--hours", type=int, default=1_000_000, help="volunteer hours ledger entries")
    parser.add_argument("--volunteers", type=int, default=0, help="registered volunteers (generated people)")
    parser.add_argument("--per-community", type=int, default=30, help="roll-up rows per community and month")
    parser.add_argument("--repeat", type=int, default=100, help="requests per page kind")
    parser.add_argument("--seed", type=int, default=2026)
    parser.add_argument("--sqlite-path", default="/tmp/kepu-bench-leaders.sqlite3")
    parser.add_argument("--fresh", action="store_true", help="start from an empty database")
    parser.add_argument(
        "--city", type=int, default=0, metavar="N", help="first add N communities to every street without any"
    )
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
        call_command("seed_demo", scale="demo", quiet_logins=True, stdout=open(os.devnull, "w"))  # noqa: SIM115
    out(f"database: {connection.vendor}")
    if args.city:
        grow_city(args.city, out)
    generate(args.hours, args.per_community, args.seed, out)
    if args.volunteers and not User.objects.filter(username__startswith="bench-volunteer-").exists():
        registered_volunteers(args.volunteers, random.Random(args.seed), out)
    out(f"  ready in {time.monotonic() - t0:.0f} s")
    from django.conf import settings

    from kepu.core import process

    process.settle()  # as kepu.wsgi does before a server's first request
    # As served: each place's figures kept for minutes (the first, untimed request per URL counts them). Then with
    # keeping off, every request counts from the roll-ups: what a view costs when its kept copy has run out.
    results = {"pages_kept": measure(args.repeat)}
    settings.KEPU_LEADERS_CACHE_SECONDS = 0
    results["pages_counted_every_view"] = measure(args.repeat)
    results["monthly_reports"] = reports()
    out(json.dumps(results, indent=2, ensure_ascii=False))


if __name__ == "__main__":
    main()
