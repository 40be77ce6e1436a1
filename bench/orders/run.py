"""Orders benchmark: the order list, an order page and the 三率 dashboard at scale, and claims per second.

Usage (from the repository root):

    # 1. a database with the demo people and places plus N generated orders (bulk inserts)
    KEPU_DEBUG=1 KEPU_SQLITE_PATH=/tmp/kepu-orders.sqlite3 .venv/bin/python bench/orders/run.py --generate 1000000
    # 2. measure (p50/p95 of --repeat requests through Django's test client, after a warm-up)
    KEPU_DEBUG=1 KEPU_SQLITE_PATH=/tmp/kepu-orders.sqlite3 /work/main/.venv/bin/python bench/orders/run.py
    # the same on PostgreSQL
    DATABASE_URL=postgres://postgres@127.0.0.1:55433/kepu_orders_bench KEPU_DEBUG=1 /work/main/.venv/bin/python \
        bench/orders/run.py --generate 1000000

The generator is ``kepu.orders.seed.bulk_orders`` (also what ``seed_demo --scale city`` runs): orders
spread over every seeded community, over the past year and over every state of the workflow.
Claims per second: ``--threads`` workers race to claim the same dispatched orders (each order is
tried by every worker; one wins, the others get "already taken"), so the figure includes contention.
"""

import argparse
import os
import statistics
import sys
import threading
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[2]))
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "kepu.settings")

import django  # noqa: E402

django.setup()

from django.core.management import call_command  # noqa: E402
from django.db import connection, connections  # noqa: E402
from django.test import Client  # noqa: E402
from django.test.utils import CaptureQueriesContext  # noqa: E402


def generate(n: int) -> None:
    from kepu.core.seeding import SeedContext
    from kepu.orders.seed import bulk_orders

    call_command("migrate", verbosity=0)
    call_command("seed_demo", "--quiet-logins")
    started = time.monotonic()
    bulk_orders(SeedContext(scale="demo", out=print), n)
    if connection.vendor == "postgresql":
        with connection.cursor() as cursor:
            cursor.execute("VACUUM ANALYZE orders_order")
    else:
        with connection.cursor() as cursor:
            cursor.execute("ANALYZE")
    print(f"generated {n:,} orders in {time.monotonic() - started:.0f} s")


SQL_GENERATE = """
INSERT INTO orders_order (created_at, updated_at, number, status, kind, topic, title, description, population,
    expected_audience, district_id, street_id, community_id, place_path, address, preferred_from, preferred_to,
    resident_id, placed_by_id, contact_name, contact_phone, unit_id, provider_id, in_pool, scheduled_place,
    scheduled_people, attendance, delivery_notes, rating, rating_comment, due_at, overdue, escalation_level,
    dispatched_at, claim_due_at, claimed_at, claimed_on_time, delivered_at)
SELECT t.created, t.created, 'S' || lpad(t.g::text, 9, '0'), t.status,
    (ARRAY['lecture','exhibition','consultation','course','hands_on','screening','health_talk'])[1 + t.g %% 7],
    (ARRAY['health','safety','anti_fraud','elderly_digital','farming','environment','astronomy','ai'])[1 + t.g %% 8],
    '科普服务', '', (ARRAY['youth','farmers','workers','elderly','officials'])[1 + t.g %% 5], 10 + t.g %% 190,
    c.district_id, c.street_id, c.place_id, c.path, '', t.created::date, t.created::date + 30,
    %(resident)s, %(resident)s, '居民', '',
    CASE WHEN t.status IN ('submitted', 'rejected') THEN NULL ELSE c.unit_id END,
    CASE WHEN t.status IN ('accepted','scheduled','delivered','rated','closed') THEN c.team_id END,
    false, '', '',
    CASE WHEN t.status IN ('delivered','rated','closed') THEN jsonb_build_object('elderly', 5 + t.g %% 100)
         ELSE '{}'::jsonb END,
    '', CASE WHEN t.status IN ('rated','closed') AND t.g %% 5 > 0 THEN (ARRAY[5,5,5,4,4,3,2])[1 + t.g %% 7] END, '',
    CASE WHEN t.status IN ('submitted','dispatched','claimed','accepted','scheduled') THEN t.created + interval '3 days'
    END,
    t.status IN ('dispatched','claimed') AND t.g %% 10 = 0, 0,
    CASE WHEN t.status NOT IN ('submitted','rejected') THEN t.created + interval '5 hours' END,
    CASE WHEN t.status NOT IN ('submitted','rejected') THEN t.created + interval '3 days' END,
    CASE WHEN t.status NOT IN ('submitted','rejected','dispatched') THEN t.created + interval '1 day' END,
    CASE WHEN t.status NOT IN ('submitted','rejected','dispatched') THEN t.g %% 7 > 0 END,
    CASE WHEN t.status IN ('delivered','rated','closed') THEN t.created + interval '12 days' END
FROM (
    SELECT g, now() - (g %% 525600) * interval '1 minute' AS created,
        (ARRAY['submitted','submitted','submitted','dispatched','dispatched','dispatched','claimed','claimed',
               'claimed','claimed','accepted','accepted','accepted','scheduled','scheduled','scheduled',
               'delivered','delivered','delivered','delivered','delivered','rated','rated','rated','rated','rated',
               'rated','rated','rated','cancelled','cancelled','cancelled','rejected','rejected'] || array_fill(
               'closed'::text, ARRAY[66]))[1 + (g::bigint * 7919) %% 100] AS status
    FROM generate_series(%(start)s, %(stop)s) AS g
) t JOIN bench_communities c ON c.i = t.g %% %(n_comm)s
"""


SQLITE_GENERATE = """
WITH RECURSIVE s(g) AS (SELECT %(start)s UNION ALL SELECT g + 1 FROM s WHERE g < %(stop)s),
t AS (
    SELECT g, strftime('%%Y-%%m-%%d %%H:%%M:%%f', 'now', '-' || (g %% 525600) || ' minutes') AS created,
        CASE WHEN (g * 7919) %% 100 < 3 THEN 'submitted' WHEN (g * 7919) %% 100 < 6 THEN 'dispatched'
             WHEN (g * 7919) %% 100 < 10 THEN 'claimed' WHEN (g * 7919) %% 100 < 13 THEN 'accepted'
             WHEN (g * 7919) %% 100 < 16 THEN 'scheduled' WHEN (g * 7919) %% 100 < 21 THEN 'delivered'
             WHEN (g * 7919) %% 100 < 29 THEN 'rated' WHEN (g * 7919) %% 100 < 32 THEN 'cancelled'
             WHEN (g * 7919) %% 100 < 34 THEN 'rejected' ELSE 'closed' END AS status
    FROM s
)
INSERT INTO orders_order (created_at, updated_at, number, status, kind, topic, title, description, population,
    expected_audience, district_id, street_id, community_id, place_path, address, preferred_from, preferred_to,
    resident_id, placed_by_id, contact_name, contact_phone, unit_id, provider_id, in_pool, scheduled_place,
    scheduled_people, attendance, delivery_notes, rating, rating_comment, due_at, overdue, escalation_level,
    dispatched_at, claim_due_at, claimed_at, claimed_on_time, delivered_at)
SELECT t.created, t.created, 'S' || substr('000000000' || t.g, -9), t.status,
    json_extract('["lecture","exhibition","consultation","course","hands_on","screening","health_talk"]',
                 '$[' || (t.g %% 7) || ']'),
    json_extract('["health","safety","anti_fraud","elderly_digital","farming","environment","astronomy","ai"]',
                 '$[' || (t.g %% 8) || ']'),
    '科普服务', '', json_extract('["youth","farmers","workers","elderly","officials"]', '$[' || (t.g %% 5) || ']'),
    10 + t.g %% 190, c.district_id, c.street_id, c.place_id, c.path, '', date(t.created), date(t.created, '+30 days'),
    %(resident)s, %(resident)s, '居民', '',
    CASE WHEN t.status IN ('submitted', 'rejected') THEN NULL ELSE c.unit_id END,
    CASE WHEN t.status IN ('accepted','scheduled','delivered','rated','closed') THEN c.team_id END,
    0, '', '',
    CASE WHEN t.status IN ('delivered','rated','closed') THEN json_object('elderly', 5 + t.g %% 100) ELSE '{}' END,
    '', CASE WHEN t.status IN ('rated','closed') AND t.g %% 5 > 0
             THEN json_extract('[5,5,5,4,4,3,2]', '$[' || (t.g %% 7) || ']') END, '',
    CASE WHEN t.status IN ('submitted','dispatched','claimed','accepted','scheduled')
         THEN strftime('%%Y-%%m-%%d %%H:%%M:%%f', t.created, '+3 days') END,
    t.status IN ('dispatched','claimed') AND t.g %% 10 = 0, 0,
    CASE WHEN t.status NOT IN ('submitted','rejected')
         THEN strftime('%%Y-%%m-%%d %%H:%%M:%%f', t.created, '+5 hours') END,
    CASE WHEN t.status NOT IN ('submitted','rejected')
         THEN strftime('%%Y-%%m-%%d %%H:%%M:%%f', t.created, '+3 days') END,
    CASE WHEN t.status NOT IN ('submitted','rejected','dispatched')
         THEN strftime('%%Y-%%m-%%d %%H:%%M:%%f', t.created, '+1 days') END,
    CASE WHEN t.status NOT IN ('submitted','rejected','dispatched') THEN t.g %% 7 > 0 END,
    CASE WHEN t.status IN ('delivered','rated','closed') THEN strftime('%%Y-%%m-%%d %%H:%%M:%%f', t.created, '+12 days')
    END
FROM t JOIN bench_communities c ON c.i = t.g %% %(n_comm)s
"""


def generate_sql(n: int) -> None:
    """The same kind of orders as ``bulk_orders``, generated inside the database (minutes, not an hour)."""
    from kepu.accounts.models import User
    from kepu.orgs.models import Organization, OrgKind

    call_command("migrate", verbosity=0)
    call_command("seed_demo", "--quiet-logins")
    units, teams = {}, {}
    for pk, place_id in Organization.objects.filter(kind=OrgKind.MEMBER_UNIT).values_list("pk", "place_id"):
        units.setdefault(place_id, []).append(pk)
    for pk, place_id in Organization.objects.filter(kind=OrgKind.VOLUNTEER_ORG).values_list("pk", "place_id"):
        teams.setdefault(place_id, []).append(pk)
    rows = []
    comms = (
        Organization.objects.filter(kind=OrgKind.COMMUNITY)
        .values_list("place_id", "place__path", "place__parent_id", "place__parent__parent_id")
        .order_by("pk")
    )
    for i, (place_id, path, street_id, district_id) in enumerate(comms):
        rows.append(
            (
                i,
                place_id,
                path,
                street_id,
                district_id,
                units[district_id][i % len(units[district_id])],
                teams[district_id][i % len(teams[district_id])],
            )
        )
    resident = User.objects.get(username="r-demo-2").pk
    started = time.monotonic()
    with connection.cursor() as cursor:
        cursor.execute("DROP TABLE IF EXISTS bench_communities")
        cursor.execute(
            "CREATE TABLE bench_communities (i int, place_id bigint, path text, street_id bigint, "
            "district_id bigint, unit_id bigint, team_id bigint)"
        )
        cursor.executemany("INSERT INTO bench_communities VALUES (%s, %s, %s, %s, %s, %s, %s)", rows)
        sql = SQL_GENERATE if connection.vendor == "postgresql" else SQLITE_GENERATE
        step = 100_000
        for start in range(1, n + 1, step):
            cursor.execute(
                sql, {"resident": resident, "start": start, "stop": min(start + step - 1, n), "n_comm": len(rows)}
            )
            print(f"    {min(start + step - 1, n):,} orders", flush=True)
        cursor.execute("DROP TABLE bench_communities")
        cursor.execute("VACUUM ANALYZE orders_order" if connection.vendor == "postgresql" else "ANALYZE")
    print(f"generated {n:,} orders in {time.monotonic() - started:.0f} s")


def login(username):
    from kepu.accounts.middleware import SESSION_KEY
    from kepu.accounts.models import Membership, User

    user = User.objects.get(username=username)
    client = Client()
    client.force_login(user)
    session = client.session
    session[SESSION_KEY] = Membership.objects.filter(user=user, is_active=True).order_by("pk").first().pk
    session.save()
    return client


def measure(client, url, repeat):
    client.get(url)
    with CaptureQueriesContext(connection) as queries:
        response = client.get(url)
    assert response.status_code == 200, (url, response.status_code)
    n_queries = len(queries.captured_queries)  # before the next request resets the query log
    times = []
    for _ in range(repeat):
        start = time.perf_counter()
        client.get(url)
        times.append((time.perf_counter() - start) * 1000)
    times.sort()
    return statistics.median(times), times[min(len(times) - 1, round(0.95 * (len(times) - 1)))], n_queries


def claims_per_second(n_orders: int, threads: int) -> tuple[float, int, int]:
    """Dispatch ``n_orders`` fresh orders to one unit, then let ``threads`` staff race to claim them all."""
    from kepu.accounts.models import Membership
    from kepu.accounts.tests.factories import person
    from kepu.core.actor import Actor
    from kepu.orders import services
    from kepu.orders.models import Order
    from kepu.orders.services import AlreadyTaken
    from kepu.places.models import Place

    community = Membership.objects.select_related("user", "organization").get(user__username="dx.community")
    unit_m = Membership.objects.select_related("user", "organization").get(user__username="dx.health")
    resident_m = Membership.objects.select_related("user").get(user__username="r-demo-2", role="resident")
    c_actor = Actor(user=community.user, membership=community)
    r_actor = Actor(user=resident_m.user, membership=resident_m)
    from datetime import timedelta

    from django.utils import timezone

    place = Place.objects.get(pk=resident_m.user.home_place_id)
    pks = []
    for _ in range(n_orders):
        o = services.order_place(
            actor=r_actor,
            title="bench",
            kind="lecture",
            topic="health",
            population="elderly",
            place=place,
            preferred_from=timezone.localdate() + timedelta(days=1),
            preferred_to=timezone.localdate() + timedelta(days=9),
        )
        services.order_transition(actor=c_actor, order=o, action="dispatch", unit=unit_m.organization)
        pks.append(o.pk)
    staff = [Actor(user=unit_m.user, membership=unit_m)]
    tag = f"{int(time.time()) % 100000:05d}"
    staff += [
        person(unit_m.organization, "unit_staff", user__username=f"bench-{tag}-{i}", user__phone=f"177{tag}{i:03d}")
        for i in range(threads - 1)
    ]
    wins, taken = [0] * threads, [0] * threads
    barrier = threading.Barrier(threads)

    def work(i):
        barrier.wait()
        for pk in pks:
            try:
                services.order_transition(actor=staff[i], order=pk, action="claim")
                wins[i] += 1
            except AlreadyTaken:
                taken[i] += 1
        connections.close_all()

    ts = [threading.Thread(target=work, args=(i,)) for i in range(threads)]
    started = time.perf_counter()
    for t in ts:
        t.start()
    for t in ts:
        t.join()
    elapsed = time.perf_counter() - started
    assert sum(wins) == n_orders and Order.objects.filter(pk__in=pks, status="claimed").count() == n_orders
    return n_orders / elapsed, sum(wins), sum(taken)


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--generate", type=int, default=0, help="first create a database with this many orders")
    parser.add_argument(
        "--generate-sql", type=int, default=0, help="create the orders with one INSERT … SELECT per 100,000 (fast)"
    )
    parser.add_argument(
        "--rebuild-rollup", action="store_true", help="recompute the three rates' roll-up from the orders first"
    )
    parser.add_argument("--repeat", type=int, default=40)
    parser.add_argument("--claims", type=int, default=200)
    parser.add_argument("--threads", type=int, default=8)
    args = parser.parse_args()
    call_command("migrate", verbosity=0)
    with connection.cursor() as cursor:  # planner statistics for indexes a migration may just have added
        cursor.execute("ANALYZE")
    if args.generate:
        generate(args.generate)
    if args.generate_sql:
        generate_sql(args.generate_sql)
    if args.generate_sql or args.rebuild_rollup:  # (--generate's bulk_orders rebuilds it itself)
        started = time.monotonic()
        call_command("rebuild_order_rollup")
        with connection.cursor() as cursor:
            cursor.execute("ANALYZE")
        print(f"roll-up rebuilt in {time.monotonic() - started:.0f} s")
    from kepu.orders.models import Order

    total = Order.objects.count()
    sample = (
        Order.objects.filter(district__code="110115", unit__short_name="区卫健委")
        .order_by("-pk")
        .values_list("pk", flat=True)
        .first()
    )
    from datetime import timedelta

    from django.utils import timezone

    since = (timezone.localdate() - timedelta(days=45)).isoformat()
    pages = [
        ("order list, waiting for me (district office)", "dx.office", "/orders/"),
        ("order list, all (district office)", "dx.office", "/orders/?view=all"),
        ("order list, all, page 50 (district office)", "dx.office", "/orders/?view=all&page=50"),
        ("order list, waiting for me (community)", "dx.community", "/orders/"),
        ("order list, waiting for me (member unit)", "dx.health", "/orders/"),
        ("order list, all (city office)", "city.admin", "/orders/?view=all"),
        ("order page (member unit)", "dx.health", f"/orders/{sample}/"),
        ("order page (district office)", "dx.office", f"/orders/{sample}/"),
        ("API order list (district office)", "dx.office", "/api/v1/orders/?needs_me=false"),
        ("三率 dashboard by street (district office)", "dx.office", "/orders/rates/?by=street"),
        ("三率 dashboard by unit (district office)", "dx.office", "/orders/rates/?by=unit"),
        ("三率 dashboard by month (city office)", "city.admin", "/orders/rates/?by=month"),
        ("三率 dashboard by street (community)", "dx.community", "/orders/rates/?by=street"),
        ("三率 dashboard by community, 45 days (district)", "dx.office", f"/orders/rates/?by=community&start={since}"),
        ("三率 dashboard by unit (member unit)", "dx.health", "/orders/rates/?by=street"),
        ("三率 Excel by street (district office)", "dx.office", "/orders/rates.xlsx?by=street"),
        ("API 三率 by provider (district office)", "dx.office", "/api/v1/orders/rates?by=provider"),
    ]
    print(f"{connection.vendor}, {total:,} orders, {args.repeat} requests each")
    print(f"| {'page':<46} | p50 ms | p95 ms | queries |")
    print(f"|{'-' * 48}|-------:|-------:|--------:|")
    clients = {}
    for label, user, url in pages:
        client = clients.setdefault(user, login(user))
        p50, p95, n = measure(client, url, args.repeat)
        print(f"| {label:<46} | {p50:6.1f} | {p95:6.1f} | {n:7d} |", flush=True)
    rate, wins, taken = claims_per_second(args.claims, args.threads)
    print(
        f"claims: {args.claims} orders, {args.threads} threads racing for each: {rate:.0f} claims/s "
        f"({wins} won, {taken} already taken)"
    )


if __name__ == "__main__":
    main()
