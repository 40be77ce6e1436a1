"""Foundation benchmark: pages and API lists at city scale (a million residents).

Usage (from the repository root, after `manage.py seed_demo --scale city` on the same database):

    KEPU_DEBUG=1 KEPU_SQLITE_PATH=/tmp/kepu-city.sqlite3 .venv/bin/python bench/foundation/run.py
    DATABASE_URL=postgres://…/kepu_city KEPU_DEBUG=1 .venv/bin/python bench/foundation/run.py

Each page is requested in-process through Django's test client (middleware, queries, templates) `--repeat`
times after a warm-up; the script prints p50/p95 in milliseconds and the number of SQL queries per request.
"""

import argparse
import os
import statistics
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[2]))
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "kepu.settings")

import django  # noqa: E402

django.setup()

from django.db import connection  # noqa: E402
from django.test import Client  # noqa: E402
from django.test.utils import CaptureQueriesContext  # noqa: E402

from kepu.accounts.models import User  # noqa: E402

PAGES = [
    ("district home", "dx.office", "/home/"),
    ("people list (district)", "dx.office", "/accounts/people/"),
    ("people search (district)", "dx.office", "/accounts/people/?q=王"),
    ("people list page 200 (district)", "dx.office", "/accounts/people/?page=200"),
    ("organizations (district)", "dx.office", "/orgs/"),
    ("people list (street)", "dx.street", "/accounts/people/"),
    ("people list (city)", "city.admin", "/accounts/people/"),
    ("API people (district)", "dx.office", "/api/v1/people/"),
    ("audit trail (district)", "dx.office", "/audit/"),
]


def measure(client, url, repeat):
    client.get(url, follow=True)  # warm-up
    times = []
    with CaptureQueriesContext(connection) as queries:
        client.get(url, follow=True)
    n_queries = len(queries.captured_queries)
    for _ in range(repeat):
        start = time.perf_counter()
        response = client.get(url, follow=True)
        times.append((time.perf_counter() - start) * 1000)
        assert response.status_code == 200, (url, response.status_code)
    times.sort()
    p95 = times[min(len(times) - 1, int(round(0.95 * (len(times) - 1))))]
    return statistics.median(times), p95, n_queries


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--repeat", type=int, default=40)
    args = parser.parse_args()
    print(f"database: {connection.vendor}; people: {User.objects.count():,}")
    print(f"{'page':34} {'p50 ms':>8} {'p95 ms':>8} {'queries':>8}")
    clients = {}
    for label, username, url in PAGES:
        if username not in clients:
            clients[username] = Client()
            clients[username].force_login(User.objects.get(username=username))
        p50, p95, n = measure(clients[username], url, args.repeat)
        print(f"{label:34} {p50:8.1f} {p95:8.1f} {n:8d}")


if __name__ == "__main__":
    main()
