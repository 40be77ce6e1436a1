"""Emergency benchmark: the fan-out of a red rainstorm event to every resident of a district.

Usage (from the repository root; a fresh database each time):

    export KEPU_DEBUG=1 DATABASE_URL=postgres://postgres@127.0.0.1:55433/kepu_emergency_bench   # or SQLite
    .venv/bin/python manage.py migrate -v0
    .venv/bin/python manage.py seed_demo --only places,orgs,accounts,volunteers,resources
    .venv/bin/python bench/emergency/run.py seed --residents 2000000
    .venv/bin/python bench/emergency/run.py fan-out --workers 2 --pages

``seed`` adds residents (a fifth of them elderly) spread over 大兴's communities with bulk inserts, and an
approved rainstorm pack of the demo library's pieces. ``fan-out`` declares a red rainstorm event for the whole
district as its office, runs the fan-out's first task here (counting, planning the steps: one per place and
phase) and then ``--workers`` processes sharing the steps (the queued ``fan_out_work`` tasks' code path: the
elderly of every place first, then everyone else, each step one transaction with two ``INSERT … SELECT``
statements, deliveries and inbox rows, and its channel task queued in the tasks table). It times the elderly and
everyone: that is "every message enqueued"; the SMS and WeChat themselves go out later from the channel tasks.
With ``--pages`` another process requests the office's event page, the public guidance and the library's list
meanwhile and prints their p50/p95.
"""

import argparse
import os
import random
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(ROOT))
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "kepu.settings")

import django  # noqa: E402

django.setup()

from django.db import transaction  # noqa: E402

from kepu.accounts.models import Membership, User  # noqa: E402
from kepu.core.bulk import insert_rows  # noqa: E402
from kepu.places.models import Place, PlaceLevel  # noqa: E402

DISTRICT = "110115"  # 大兴


def office():
    from kepu.core.actor import Actor
    from kepu.core.roles import Role

    m = Membership.objects.filter(user__username="dx.office", role=Role.DISTRICT_ADMIN).select_related("user").first()
    return Actor(user=m.user, membership=m)


def seed(residents: int) -> None:
    from kepu.emergency import services
    from kepu.emergency.models import Hazard, Pack
    from kepu.resources.selectors import public_resources

    district = Place.objects.get(code=DISTRICT)
    communities = list(Place.objects.filter(path__startswith=district.path, level=PlaceLevel.COMMUNITY).values("pk"))
    rng = random.Random(18)
    start = time.perf_counter()
    base = User.objects.count()
    batch = []
    for i in range(residents):
        batch.append(
            {
                "username": f"bench-em-{base + i}",
                "name": f"居民{i}",
                "password": "!",
                "is_active": True,
                "home_place_id": rng.choice(communities)["pk"],
                "key_population": "elderly" if i % 5 == 0 else "workers",
            }
        )
        if len(batch) == 20_000:
            with transaction.atomic():
                insert_rows(User, batch)
            batch = []
    if batch:
        with transaction.atomic():
            insert_rows(User, batch)
    print(f"{residents} residents in {len(communities)} communities: {time.perf_counter() - start:.1f} s")
    if not Pack.objects.filter(hazard__code="rainstorm").exists():
        pieces = list(public_resources().order_by("pk")[:3])
        poster = public_resources().filter(kind="poster").order_by("pk").first()
        actor = office()
        pack = services.pack_create(
            actor=actor,
            data={
                "hazard": str(Hazard.objects.get(code="rainstorm").pk),
                "title": "暴雨洪涝应急科普包（测试）",
                "sms_text": "【暴雨红色预警】减少外出，远离低洼地带。",
                "items": ",".join(str(p.pk) for p in pieces),
                "poster": str(poster.pk),
                "elder": str(pieces[0].pk),
            },
        )
        from datetime import date, timedelta

        services.pack_transition(
            actor=actor,
            pack=pack,
            action="approve",
            data={"review_by": (date.today() + timedelta(days=90)).isoformat()},
        )


def fan_out(pages: bool, n: int) -> None:
    import subprocess
    from datetime import timedelta

    from django.utils import timezone
    from django.utils.datastructures import MultiValueDict

    from kepu.emergency import services
    from kepu.emergency.models import Delivery, Hazard

    actor = office()
    now = timezone.localtime()
    data = MultiValueDict(
        {
            "hazard": [str(Hazard.objects.get(code="rainstorm").pk)],
            "level": ["red"],
            "places": [DISTRICT],
            "starts_at": [now.strftime("%Y-%m-%dT%H:%M")],
            "expected_end": [(now + timedelta(hours=12)).strftime("%Y-%m-%dT%H:%M")],
        }
    )
    prober = None
    t0 = time.perf_counter()
    # The fan-out task it queues is run by hand below (timed); no worker runs here to take the queued copy.
    event = services.event_declare(actor=actor, data=data)
    t1 = time.perf_counter()
    if pages:
        prober = subprocess.Popen([sys.executable, __file__, "pages", "--event", str(event.pk)])
        time.sleep(8)  # the prober's warm-up and a few requests before the fan-out starts
        t1 = time.perf_counter()
    # What the workers do after the commit: the first task (plan the steps) here, then ``--workers`` processes
    # sharing the steps, as the queued ``fan_out_work`` tasks would on as many workers. Each step queues its
    # channel task in the tasks table, as in production (no worker takes them here: "enqueued").
    from kepu.emergency.models import FanOutStep

    services.fan_out_run(event.pk)
    workers = [subprocess.Popen([sys.executable, __file__, "work", "--event", str(event.pk)]) for _n in range(n)]
    pending = FanOutStep.objects.filter(event_place__event=event, elderly=True, done_at__isnull=True)
    while pending.exists():
        time.sleep(0.25)
    t2 = time.perf_counter()
    elderly = Delivery.objects.filter(event=event, elderly=True).count()
    for w in workers:
        w.wait()
    t3 = time.perf_counter()
    told = Delivery.objects.filter(event=event).count()
    if prober is not None:
        time.sleep(3)
        prober.terminate()
        prober.wait()
    from django_tasks_db.models import DBTaskResult

    from kepu.notifications.models import Notification

    inbox = Notification.objects.filter(kind="kepu.emergency.guidance").count()
    channel_tasks = DBTaskResult.objects.filter(task_path__endswith="fan_out_channels").count()
    print(f"declared (checklists, teams, expert called) in {t1 - t0:.2f} s" if not pages else "declared")
    print(f"{elderly} elderly told in {t2 - t1:.1f} s ({elderly / max(t2 - t1, 1e-9):.0f}/s)")
    print(f"{told} residents told in {t3 - t1:.1f} s ({told / max(t3 - t1, 1e-9):.0f}/s)")
    print(f"{inbox} inbox rows, {channel_tasks} channel tasks queued, {n} workers")


def probe_pages(event_id: int) -> None:
    """Request the office's event page, the public guidance and the library's list in turn until stopped, then
    print each page's p50/p95 (Django's test client in a process of its own: the whole request, no network)."""
    import signal

    from django.test import Client

    from kepu.core.roles import Role

    office_client = Client()
    m = Membership.objects.filter(user__username="dx.office", role=Role.DISTRICT_ADMIN).first()
    office_client.force_login(m.user)
    public = Client()
    pages = [
        ("event page (office)", office_client, f"/emergency/events/{event_id}/"),
        ("public guidance", public, f"/emergency/e/{event_id}/"),
        ("library list (public)", public, "/resources/"),
    ]
    timings = {name: [] for name, _c, _u in pages}
    stop = []
    signal.signal(signal.SIGTERM, lambda *_: stop.append(1))
    while not stop:
        for name, client, url in pages:
            t = time.perf_counter()
            r = client.get(url)
            timings[name].append((time.perf_counter() - t) * 1000)
            assert r.status_code == 200, (url, r.status_code)
        time.sleep(0.05)
    for name, values in timings.items():
        values = sorted(values[2:])  # the first two are the warm-up (imports, templates)
        if values:
            p50 = values[len(values) // 2]
            p95 = values[min(len(values) - 1, int(len(values) * 0.95))]
            print(f"{name}: {len(values)} requests, p50 {p50:.0f} ms, p95 {p95:.0f} ms, max {values[-1]:.0f} ms")


def main():
    parser = argparse.ArgumentParser()
    sub = parser.add_subparsers(dest="cmd", required=True)
    s = sub.add_parser("seed")
    s.add_argument("--residents", type=int, default=200_000)
    f = sub.add_parser("fan-out")
    f.add_argument("--pages", action="store_true", help="measure the pages' latency meanwhile (another process)")
    f.add_argument("--workers", type=int, default=2)
    wk = sub.add_parser("work")
    wk.add_argument("--event", type=int, required=True)
    p = sub.add_parser("pages")
    p.add_argument("--event", type=int, required=True)
    args = parser.parse_args()
    if args.cmd == "seed":
        seed(args.residents)
    elif args.cmd == "pages":
        probe_pages(args.event)
    elif args.cmd == "work":
        from kepu.emergency import services

        services.fan_out_work_run(args.event)
    else:
        fan_out(args.pages, args.workers)


if __name__ == "__main__":
    main()
