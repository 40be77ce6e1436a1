"""Science resources benchmark: search over 100,000 pieces, and a push fanned out to a million residents.

Usage (from the repository root; a fresh database each time):

    export KEPU_DEBUG=1 KEPU_SQLITE_PATH=/tmp/kepu-res-bench.sqlite3        # or DATABASE_URL=postgres://…
    .venv/bin/python manage.py migrate -v0
    .venv/bin/python manage.py seed_demo --only places,orgs,accounts,volunteers
    .venv/bin/python bench/resources/run.py seed --pieces 100000 --residents 1000000
    .venv/bin/python bench/resources/run.py search --repeat 5
    .venv/bin/python bench/resources/run.py push          # starts `manage.py db_worker`, measures pages meanwhile

``seed`` writes pieces made from the 212 written ones (each title and summary recombined with a
sentence of another piece, a tenth of them not published) and indexes the published ones through
``kepu.core.search`` (jieba, then FTS5 or tsvector), then residents (all elderly, in one district's
communities) with bulk inserts. ``search`` times the library's search (``selectors.library``: the
ranked ids, the capped count and the rows) for the 55 queries of the quality test and three
filtered ones, in process, after a warm-up, and the search page through Django's test client.
``push`` creates a push of one piece to the elderly of that district as the district office, lets
the database worker fan it out, and meanwhile requests pages and reads the push's progress.
"""

import argparse
import os
import random
import statistics
import subprocess
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(ROOT))
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "kepu.settings")

import django  # noqa: E402

django.setup()

from django.db import connection, transaction  # noqa: E402
from django.test import Client  # noqa: E402

from kepu.accounts.models import Membership, User  # noqa: E402
from kepu.core.bulk import insert_rows  # noqa: E402
from kepu.orgs.models import Organization, OrgKind  # noqa: E402
from kepu.places.models import Place, PlaceLevel  # noqa: E402
from kepu.resources import search as resource_search  # noqa: E402
from kepu.resources import selectors  # noqa: E402
from kepu.resources.data.library import PIECES  # noqa: E402
from kepu.resources.models import Resource, tags_to_text  # noqa: E402
from kepu.resources.tests.test_search_quality import FILTERED, QUERIES  # noqa: E402

DISTRICT = "110115"  # 大兴


def pct(values, p):
    values = sorted(values)
    return values[min(len(values) - 1, int(round(p / 100 * (len(values) - 1))))]


def seed(pieces: int, residents: int) -> None:
    rng = random.Random(2026)
    units = list(Organization.objects.filter(kind=OrgKind.MEMBER_UNIT).select_related("place"))
    author = User.objects.filter(username="dx.health").first() or User.objects.first()
    start = time.perf_counter()
    made = Resource.objects.count()
    batch = 5000
    while made < pieces:
        rows = []
        for i in range(made, min(made + batch, pieces)):
            key, kind, topics, pops, level, field, title, summary = PIECES[i % len(PIECES)]
            other = PIECES[rng.randrange(len(PIECES))]
            unit = units[i % len(units)]
            published = i % 10 != 0
            rows.append(
                {
                    "kind": kind,
                    "title": f"{title}（{i // len(PIECES) + 1}）",
                    "summary": summary[:300],
                    "body": f"<p>{summary}</p><p>{other[7]}</p>",
                    "topics": tags_to_text(topics.split(",")),
                    "populations": tags_to_text(pops.split(",")),
                    "reading_level": level,
                    "review_field": field,
                    "author": "科普作者",
                    "source_unit_id": unit.pk,
                    "place_path": unit.place.path,
                    "licence": "public_service",
                    "status": "published" if published else "submitted",
                    "created_by_id": author.pk,
                    "published_at": django.utils.timezone.now() if published else None,
                    "version": 1,
                }
            )
        with transaction.atomic():
            last = Resource.objects.order_by("-pk").values_list("pk", flat=True).first() or 0
            insert_rows(Resource, rows)
            Resource.objects.filter(lineage_id__isnull=True).update(lineage_id=django.db.models.F("pk"))
            resource_search.add(list(Resource.objects.filter(status="published", pk__gt=last)))
        made += len(rows)
        print(f"  {made:,} pieces ({time.perf_counter() - start:.0f} s)", flush=True)
    print(f"pieces: {made:,} in {time.perf_counter() - start:.0f} s")

    communities = list(
        Place.objects.filter(level=PlaceLevel.COMMUNITY, district_code=DISTRICT).values_list("pk", flat=True)
    )
    start = time.perf_counter()
    have = User.objects.filter(username__startswith="bench-").count()
    while have < residents:
        n = min(50_000, residents - have)
        rows = [
            {
                "username": f"bench-{i:07d}",
                "password": "!",
                "name": "居民",
                "key_population": "elderly",
                "home_place_id": communities[i % len(communities)],
                "phone_index": None,
                "is_active": True,
            }
            for i in range(have, have + n)
        ]
        with transaction.atomic():
            insert_rows(User, rows, batch=10_000)
        have += n
        if have % 200_000 == 0 or have == residents:
            print(f"  {have:,} residents ({time.perf_counter() - start:.0f} s)", flush=True)


def search(repeat: int) -> None:
    print(
        f"database: {connection.vendor}; pieces {Resource.objects.count():,}, published "
        f"{Resource.objects.filter(status='published').count():,}"
    )
    cases = [(q, {}) for q, _e, _n in QUERIES] + [(q, f) for q, f, _c, _x in FILTERED]
    for q, f in cases:  # warm-up: the dictionary, the database's caches
        selectors.library(selectors.Filters(q=q, **f))
    times, per = [], {}
    for _ in range(repeat):
        for q, f in cases:
            t = time.perf_counter()
            results = selectors.library(selectors.Filters(q=q, **f))
            ms = (time.perf_counter() - t) * 1000
            times.append(ms)
            per.setdefault(q, []).append((ms, results.count))
    print(
        f"library search, {len(cases)} queries × {repeat}: p50 {statistics.median(times):.1f} ms, "
        f"p95 {pct(times, 95):.1f} ms, max {max(times):.1f} ms"
    )
    slow = sorted(per.items(), key=lambda kv: -max(m for m, _c in kv[1]))[:5]
    for q, rows in slow:
        print(f"  slowest: {q!r} {max(m for m, _c in rows):.1f} ms ({rows[0][1]} matches, capped at 1,001)")
    client = Client()
    page = []
    for _ in range(repeat):
        for q, f in cases[:20]:
            t = time.perf_counter()
            response = client.get("/resources/", {"q": q, **f})
            page.append((time.perf_counter() - t) * 1000)
            assert response.status_code == 200
    print(
        f"search page (20 queries × {repeat}, whole request): p50 {statistics.median(page):.1f} ms, "
        f"p95 {pct(page, 95):.1f} ms"
    )


def push() -> None:
    from kepu.core.actor import Actor
    from kepu.core.roles import Role
    from kepu.resources import services

    office = User.objects.get(username="dx.office")
    membership = Membership.objects.get(user=office, role=Role.DISTRICT_ADMIN)
    actor = Actor(user=office, membership=membership)
    district = Place.objects.get(code=DISTRICT)
    piece = Resource.objects.filter(status="published", place_path__startswith=district.path).first()
    people = User.objects.filter(key_population="elderly", home_place__path__startswith=district.path).count()
    print(f"database: {connection.vendor}; elderly residents in {district.name}: {people:,}")
    client = Client()
    client.force_login(office)
    from kepu.core import search as core_search

    core_search.warm()  # as the web server does at start-up
    for url in ("/resources/?q=高血压", f"/resources/{piece.pk}/", "/resources/pushes/"):
        client.get(url)  # and a first request of each page (templates, caches), as a running server has had
    push = services.push_create(
        actor=actor, resource=piece, data={"populations": ["elderly"], "places": [district.code]}
    )
    # The service enqueued the fan-out on commit (the database backend): a worker runs it.
    env = {**os.environ, "PYTHONPATH": str(ROOT)}
    worker = subprocess.Popen(
        [
            sys.executable,
            str(ROOT / "manage.py"),
            "db_worker",
            "--batch",
            "--no-reload",
            "--no-startup-delay",
            "--interval",
            "0.2",
        ],
        cwd=ROOT,
        env=env,
        stdout=subprocess.DEVNULL,
    )
    start = time.perf_counter()
    pages = {"library": [], "piece": [], "push progress": []}
    progress = []
    while True:
        for name, url in (
            ("library", "/resources/?q=高血压"),
            ("piece", f"/resources/{piece.pk}/"),
            ("push progress", f"/resources/pushes/{push.pk}/"),
        ):
            t = time.perf_counter()
            response = client.get(url, HTTP_HX_REQUEST="true" if name == "push progress" else None)
            pages[name].append((time.perf_counter() - t) * 1000)
            assert response.status_code == 200, (url, response.status_code)
        push.refresh_from_db()
        progress.append((time.perf_counter() - start, push.sent, push.status))
        if push.status in ("done", "failed") or time.perf_counter() - start > 1800:
            break
        time.sleep(0.5)
    worker.wait(timeout=120)
    if push.finished_at and push.started_at:
        seconds = (push.finished_at - push.started_at).total_seconds()
        rate = push.sent / max(seconds, 1)
        print(
            f"push {push.pk}: {push.status}, {push.sent:,} of {push.total:,} told; "
            f"fan-out {seconds:.0f} s ({rate:,.0f}/s)"
        )
    else:
        print(f"push {push.pk}: {push.status} {push.error}")
    for t, sent, status in progress[:: max(1, len(progress) // 8)]:
        print(f"  t={t:6.1f} s  sent {sent:>9,}  {status}")
    for name, values in pages.items():
        print(
            f"  page during the fan-out: {name:14} p50 {statistics.median(values):6.1f} ms  "
            f"p95 {pct(values, 95):6.1f} ms  max {max(values):6.1f} ms  ({len(values)} requests)"
        )


def main():
    parser = argparse.ArgumentParser()
    sub = parser.add_subparsers(dest="cmd", required=True)
    s = sub.add_parser("seed")
    s.add_argument("--pieces", type=int, default=100_000)
    s.add_argument("--residents", type=int, default=1_000_000)
    q = sub.add_parser("search")
    q.add_argument("--repeat", type=int, default=5)
    sub.add_parser("push")
    args = parser.parse_args()
    if args.cmd == "seed":
        seed(args.pieces, args.residents)
    elif args.cmd == "search":
        search(args.repeat)
    else:
        push()


if __name__ == "__main__":
    main()
