"""Benchmark of the statistics: pre-filling one district's forms from city-scale data, and the city's roll-up.

Builds on the activities benchmark's database (100,000 activities, 10 million registrations: it
generates them with ``bench/activities/run.py``'s generator when the database is empty), adds what
the statistics count besides (co-hosted activities, volunteers in one or two teams, a million
service orders with ``bench/orders/run.py``'s SQL generator), then measures:

* **pre-fill**: ``services.year_open`` for the district with the most records (大兴区): a form for
  every reporting unit, every platform figure counted, the shared records stored; the district's
  forms are deleted before each run, so each run does the whole work;
* **city roll-up**: with the year open in all 16 districts and every district's table submitted,
  ``selectors.city_tables`` + ``city_lines`` (what the city page and its workbook read), and the city
  page itself through Django's test client.

See bench/statistics/README.md for the figures and the commands.
"""

from __future__ import annotations

import argparse
import importlib.util
import json
import os
import random
import statistics
import sys
import time
from datetime import datetime
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(ROOT))


def _load(name: str, path: Path):
    spec = importlib.util.spec_from_file_location(name, path)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def out(msg):
    print(msg, flush=True)  # noqa: T201 - a command-line tool


def add_co_hosts(share: float, seed: int) -> int:
    """Name a second host (another organization of the same district) on ``share`` of the activities."""
    from kepu.activities.models import Activity, CoOrganizer
    from kepu.orgs.models import Organization

    if CoOrganizer.objects.exists():
        return CoOrganizer.objects.count()
    rng = random.Random(seed)
    by_district: dict[str, list[int]] = {}
    for pk, code in Organization.objects.filter(is_active=True).values_list("pk", "place__district_code"):
        by_district.setdefault(code, []).append(pk)
    rows = []
    for pk, org, code in Activity.objects.values_list("pk", "organization_id", "district_code").iterator():
        others = [o for o in by_district.get(code, []) if o != org]
        if others and rng.random() < share:
            rows.append(CoOrganizer(activity_id=pk, organization_id=rng.choice(others)))
    CoOrganizer.objects.bulk_create(rows, batch_size=5000)
    return len(rows)


def add_volunteers(n: int, seed: int) -> int:
    """``n`` volunteers: each in a team, one in ten in a second team (one in fifty of another district)."""
    from django.contrib.auth.hashers import make_password

    from kepu.accounts.models import Membership, User
    from kepu.core.roles import Role
    from kepu.orgs.models import Organization, OrgKind

    have = Membership.objects.filter(role=Role.VOLUNTEER, user__username__startswith="bench-v").count()
    if have:
        return have
    rng = random.Random(seed)
    teams = list(Organization.objects.filter(kind=OrgKind.VOLUNTEER_ORG).values_list("pk", "place__district_code"))
    password = make_password(None)
    made = 0
    for start in range(0, n, 5000):
        stop = min(n, start + 5000)
        users = [User(username=f"bench-v{i}", name=f"志愿者{i}", password=password) for i in range(start, stop)]
        User.objects.bulk_create(users, batch_size=5000)
        members = []
        for u in users:
            first = rng.choice(teams)
            members.append(Membership(user=u, organization_id=first[0], role=Role.VOLUNTEER))
            if rng.random() < 0.1:
                same = [t for t in teams if t[1] == first[1] and t != first]
                pool = same if same and rng.random() < 0.8 else [t for t in teams if t != first]
                members.append(Membership(user=u, organization_id=rng.choice(pool)[0], role=Role.VOLUNTEER))
        Membership.objects.bulk_create(members, batch_size=5000)
        made += len(members)
    from kepu.accounts import holders

    holders.rebuild()  # memberships made in bulk send no signal: the kept counts are refilled from them
    return made


def add_orders(n: int) -> int:
    from kepu.orders.models import Order

    have = Order.objects.count()
    if have >= n:
        return have
    orders = _load("bench_orders_run", ROOT / "bench" / "orders" / "run.py")
    orders.generate_sql(n - have)
    return Order.objects.count()


def district_admins():
    """A district-office login for every district (the bench opens every district's year)."""
    from kepu.accounts.models import Membership, User
    from kepu.core.actor import Actor
    from kepu.core.roles import Role
    from kepu.orgs.models import Organization, OrgKind

    admins = {}
    for office in Organization.objects.filter(kind=OrgKind.DISTRICT_OFFICE).select_related("place"):
        user, _created = User.objects.get_or_create(username=f"bench-office-{office.place.code}")
        m, _created = Membership.objects.get_or_create(user=user, organization=office, role=Role.DISTRICT_ADMIN)
        m = Membership.objects.select_related("organization__place", "user").get(pk=m.pk)
        admins[office.place.code] = (office.place, Actor(user=m.user, membership=m))
    return admins


def measure_prefill(place, actor, year: int, repeat: int) -> dict:
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    from kepu.statistics import services
    from kepu.statistics.models import Report, SharedFigure, Value

    times, queries = [], []
    for _ in range(repeat):
        Report.objects.filter(district=place, year=year).delete()
        with CaptureQueriesContext(connection) as ctx:
            t0 = time.perf_counter()
            services.year_open(actor=actor, district=place, year=year)
            times.append(time.perf_counter() - t0)
        queries.append(len(ctx.captured_queries))
        out(f"  pre-fill {place.name}: {times[-1]:.2f} s, {queries[-1]} queries")
    forms = Report.objects.filter(district=place, year=year, level="unit")
    return {
        "district": place.name,
        "forms": forms.count(),
        "values": Value.objects.filter(report__in=forms).count(),
        "shared_records": SharedFigure.objects.filter(value__report__in=forms).count(),
        "seconds": [round(t, 2) for t in times],
        "median_s": round(statistics.median(times), 2),
        "queries": queries[-1],
    }


def measure_city(admins: dict, year: int, repeat: int, measured: str) -> dict:
    from django.db import connection
    from django.test import Client
    from django.test.utils import CaptureQueriesContext

    from kepu.accounts.models import User
    from kepu.statistics import selectors, services
    from kepu.statistics.models import Report, ReportLevel, ReportStatus, SharedFigure, Value

    # Every other district's forms afresh (the pre-fill run left the measured district's open).
    opened = {place.pk for place, _actor in admins.values() if place.code == measured}
    Report.objects.filter(year=year).exclude(district_id__in=opened).delete()
    t0 = time.perf_counter()
    for _code, (place, actor) in sorted(admins.items()):
        if not Report.objects.filter(district=place, year=year).exists():
            services.year_open(actor=actor, district=place, year=year)
    out(f"  every district's year open ({time.perf_counter() - t0:.0f} s)")
    Report.objects.filter(year=year, level=ReportLevel.DISTRICT).update(status=ReportStatus.SUBMITTED)
    units = Report.objects.filter(year=year, level=ReportLevel.UNIT)
    times, queries = [], 0
    for _ in range(repeat):
        with CaptureQueriesContext(connection) as ctx:
            t0 = time.perf_counter()
            _d, _t, per_district, overall = selectors.city_tables(year)
            lines = selectors.city_lines(per_district, overall)
            times.append(time.perf_counter() - t0)
        queries = len(ctx.captured_queries)
    client = Client()
    client.force_login(User.objects.get(username="city.admin"))
    page_times = []
    for _ in range(repeat):
        t0 = time.perf_counter()
        response = client.get(f"/statistics/city/{year}/")
        page_times.append(time.perf_counter() - t0)
        assert response.status_code == 200, response.status_code
    t0 = time.perf_counter()
    assert client.get(f"/statistics/city/{year}.xlsx").status_code == 200
    xlsx = time.perf_counter() - t0
    a02 = next(x for x in lines if x["indicator"].code == "A02")
    return {
        "districts": len(per_district),
        "forms": units.count(),
        "values": Value.objects.filter(report__in=units).count(),
        "shared_records": SharedFigure.objects.filter(value__report__in=units).count(),
        "copies_removed": overall.removed_records,
        "person_times_at_lectures": {"sum_of_districts": str(a02["districts"]), "city": str(a02["total"])},
        "rollup_seconds": [round(t, 3) for t in times],
        "rollup_median_s": round(statistics.median(times), 3),
        "rollup_queries": queries,
        "page_median_s": round(statistics.median(page_times), 3),
        "xlsx_s": round(xlsx, 3),
    }


def main():
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--activities", type=int, default=100_000)
    parser.add_argument("--registrations", type=int, default=10_000_000)
    parser.add_argument("--orders", type=int, default=1_000_000)
    parser.add_argument("--volunteers", type=int, default=50_000)
    parser.add_argument("--co-hosted", type=float, default=0.05, help="share of activities with a second host")
    parser.add_argument("--repeat", type=int, default=3)
    parser.add_argument("--district", default="110115")
    parser.add_argument("--seed", type=int, default=2026)
    parser.add_argument("--sqlite-path", default="/tmp/kepu-bench-statistics.sqlite3")
    args = parser.parse_args()
    activities = _load("bench_activities_run", ROOT / "bench" / "activities" / "run.py")
    activities.setup(args.sqlite_path)
    from django.core.management import call_command
    from django.db import connection

    from kepu.accounts.models import User
    from kepu.core import clock

    t0 = time.monotonic()
    call_command("migrate", verbosity=0)
    if not User.objects.filter(username="city.admin").exists():
        call_command("seed_demo", scale="demo", quiet_logins=True, stdout=open(os.devnull, "w"))  # noqa: SIM115
    activities.generate(args.activities, args.registrations, args.seed, out)
    out(f"  co-hosted activities: {add_co_hosts(args.co_hosted, args.seed):,}")
    out(f"  volunteer memberships: {add_volunteers(args.volunteers, args.seed):,}")
    out(f"  orders: {add_orders(args.orders):,}")
    with connection.cursor() as cursor:
        cursor.execute("ANALYZE")
    out(f"  data ready in {time.monotonic() - t0:.0f} s")
    from kepu.activities.models import Activity, Registration, Session
    from kepu.orders.models import Order

    sizes = {
        "activities": Activity.objects.count(),
        "sessions": Session.objects.count(),
        "registrations": Registration.objects.count(),
        "orders": Order.objects.count(),
    }
    out(f"  sizes: {sizes}")
    year = clock.now().year
    admins = district_admins()
    place, actor = admins[args.district]
    prefill = measure_prefill(place, actor, year, args.repeat)
    city = measure_city(admins, year, args.repeat, args.district)
    result = {
        "database": connection.vendor,
        "sizes": sizes,
        "year": year,
        "prefill": prefill,
        "city": city,
        "at": datetime.now().isoformat(timespec="seconds"),
        "load_average": os.getloadavg(),
    }
    print(json.dumps(result, ensure_ascii=False, indent=2))  # noqa: T201


if __name__ == "__main__":
    main()
