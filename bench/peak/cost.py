"""CPU per request, one kind at a time: what a sign-up, a calendar page … costs the app and the database.

    DATABASE_URL=postgres://postgres@127.0.0.1:55433/kepu_peak_bench \\
        /work/main/.venv/bin/python bench/peak/cost.py --repeat 60

One process, one request after the other through Django's test client (the whole stack but the network):
the app's CPU is this process's CPU time, the database's the CPU time of the PostgreSQL backend serving this
process's connection (read from /proc through psutil; the server runs on this machine). CPU time is what a
busy neighbour cannot inflate much, unlike wall time: it is what the Beijing arithmetic in README.md uses.
Runs on a database prepared by ``run.py`` (migrated, demo seeded).
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import sys
import time
from datetime import date, timedelta
from pathlib import Path

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE.parents[1]))
sys.path.insert(0, str(HERE))


def main():
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--repeat", type=int, default=60)
    parser.add_argument("--sqlite-path", default="/tmp/kepu-bench-peak.sqlite3")
    args = parser.parse_args()
    from run import setup

    setup(args.sqlite_path)
    import plan as peak_plan
    import psutil
    from django.conf import settings
    from django.db import connection
    from django.test import Client

    settings.ALLOWED_HOSTS = ["*"]
    n = args.repeat
    built = peak_plan.build(
        districts=1, communities=1, residents=n, activities=2, capacity=n // 2, tag=f"c{time.strftime('%H%M%S')}"
    )
    district = built["districts"][0]
    community = district["communities"][0]
    acts = district["activities"]
    residents = community["residents"]
    clients = []
    for key in residents:
        c = Client()
        c.cookies[settings.SESSION_COOKIE_NAME] = key
        clients.append(c)
    staff = Client()
    staff.cookies[settings.SESSION_COOKIE_NAME] = district["admin"]
    connection.ensure_connection()
    backend = None
    if connection.vendor == "postgresql":
        with connection.cursor() as cursor:
            cursor.execute("SELECT pg_backend_pid()")
            backend = psutil.Process(cursor.fetchone()[0])

    def db_cpu():
        if backend is None:
            return 0.0
        t = backend.cpu_times()
        return t.user + t.system

    tickets = []
    today = date.today()
    order = {
        "title": "社区防诈骗讲座",
        "kind": "health_talk",
        "topic": "health",
        "population": "elderly",
        "place_code": community["code"],
        "preferred_from": str(today + timedelta(days=3)),
        "preferred_to": str(today + timedelta(days=30)),
        "address": "社区活动室",
    }

    def signup(i):
        r = clients[i].post(f"/activities/sessions/{acts[0]['session']}/signup/", {"population": "elderly"})
        assert r.status_code == 302 and "/tickets/" in r["Location"], (r.status_code, r.get("Location"))
        tickets.append(int(r["Location"].rstrip("/").rsplit("/", 1)[1]))
        return r

    kinds = {
        "calendar": lambda i: clients[i].get("/activities/" + ("?population=elderly" if i % 2 else "")),
        "activity": lambda i: clients[i].get(f"/activities/{acts[i % len(acts)]['id']}/"),
        "sign-up (POST)": signup,
        "ticket": lambda i: clients[i].get(f"/activities/tickets/{tickets[i]}/"),
        "my sign-ups": lambda i: clients[i].get("/activities/mine/"),
        "order (API POST)": lambda i: clients[i].post("/api/v1/orders/", order, content_type="application/json"),
        "dashboard: activities": lambda i: staff.get("/activities/dashboard/"),
        "dashboard: orders": lambda i: staff.get("/orders/rates/"),
    }
    kinds["calendar"](0)  # templates compiled, connection warm: not measured
    kinds["activity"](0)
    results = {}
    for name, fn in kinds.items():
        app, db, wall = [], [], []
        for i in range(n):
            c0, d0, w0 = time.process_time(), db_cpu(), time.perf_counter()
            r = fn(i)
            wall.append(time.perf_counter() - w0)
            app.append(time.process_time() - c0)
            db.append(db_cpu() - d0)
            assert r.status_code in (200, 201, 302), (name, r.status_code)
        results[name] = {
            "app_cpu_ms": round(1000 * statistics.mean(app), 1),
            "db_cpu_ms": round(1000 * statistics.mean(db), 1),
            "wall_p50_ms": round(1000 * statistics.median(wall), 1),
        }
        print(f"  {name:<24} {results[name]}", file=sys.stderr, flush=True)  # noqa: T201
    print(  # noqa: T201
        json.dumps(
            {"database": connection.vendor, "repeat": n, "load_average": os.getloadavg(), "kinds": results},
            ensure_ascii=False,
            indent=2,
        )
    )


if __name__ == "__main__":
    main()
