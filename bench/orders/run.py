"""Orders benchmark: the order list, an order page and the 三率 dashboard at scale, and claims per second.

Usage (from the repository root):

    # 1. a database with the demo people and places plus N generated orders (bulk inserts)
    KEPU_DEBUG=1 KEPU_SQLITE_PATH=/tmp/kepu-orders.sqlite3 /work/venv/bin/python bench/orders/run.py --generate 1000000
    # 2. measure (p50/p95 of --repeat requests through Django's test client, after a warm-up)
    KEPU_DEBUG=1 KEPU_SQLITE_PATH=/tmp/kepu-orders.sqlite3 /work/venv/bin/python bench/orders/run.py
    # the same on PostgreSQL
    DATABASE_URL=postgres://postgres@127.0.0.1:55433/kepu_orders_bench KEPU_DEBUG=1 /work/venv/bin/python \
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
    times = []
    for _ in range(repeat):
        start = time.perf_counter()
        client.get(url)
        times.append((time.perf_counter() - start) * 1000)
    times.sort()
    return statistics.median(times), times[min(len(times) - 1, round(0.95 * (len(times) - 1)))], len(
        queries.captured_queries)


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
        o = services.order_place(actor=r_actor, title="bench", kind="lecture", topic="health", population="elderly",
                                 place=place, preferred_from=timezone.localdate() + timedelta(days=1),
                                 preferred_to=timezone.localdate() + timedelta(days=9))
        services.order_transition(actor=c_actor, order=o, action="dispatch", unit=unit_m.organization)
        pks.append(o.pk)
    staff = [Actor(user=unit_m.user, membership=unit_m)]
    tag = f"{int(time.time()) % 100000:05d}"
    staff += [person(unit_m.organization, "unit_staff", user__username=f"bench-{tag}-{i}",
                     user__phone=f"177{tag}{i:03d}") for i in range(threads - 1)]
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
    parser.add_argument("--repeat", type=int, default=40)
    parser.add_argument("--claims", type=int, default=200)
    parser.add_argument("--threads", type=int, default=8)
    args = parser.parse_args()
    if args.generate:
        generate(args.generate)
    from kepu.orders.models import Order

    total = Order.objects.count()
    sample = Order.objects.filter(district__code="110115", unit__short_name="区卫健委").order_by("-pk").values_list(
        "pk", flat=True).first()
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
    print(f"claims: {args.claims} orders, {args.threads} threads racing for each: {rate:.0f} claims/s "
          f"({wins} won, {taken} already taken)")


if __name__ == "__main__":
    main()
