"""A short 全国科普日 peak in the suite: the site under gunicorn, Locust's residents and staff, no error allowed.

The full runs (rising steps, minutes each) are benchmarks in bench/peak/; this one only proves that the load
test still runs against the current site and that nothing it does fails: every page and API answer it gets
is the one a person would get (bench/peak/locustfile.py checks each), and afterwards no session holds more
places than it has and no order was claimed twice.

The site runs in separate processes, so it must see committed data: the test is transactional. On
PostgreSQL gunicorn uses the test database itself; SQLite's test database lives in this process's memory,
so it is copied to a file (the online backup API) and gunicorn and the checks use that file.
It costs about ``SECONDS`` + 15 s per database (measured: see bench/peak/README.md); ``KEPU_PEAK_SMOKE_SECONDS``
changes the length.
"""

from __future__ import annotations

import importlib.util
import json
import os
import sqlite3
import time
from pathlib import Path

import pytest
from django.db import connection

ROOT = Path(__file__).resolve().parents[3]
PEAK = ROOT / "bench" / "peak"
#: The issue's 60 s; the test starts among the long files so it never holds a worker at the end of a run.
SECONDS = int(os.environ.get("KEPU_PEAK_SMOKE_SECONDS", "60"))
USERS = 14  # 8 staff (fixed counts in the locustfile) and 6 residents

pytestmark = [pytest.mark.django_db(transaction=True), pytest.mark.timeout(SECONDS + 240)]


def _load(name):
    spec = importlib.util.spec_from_file_location(f"peak_{name}", PEAK / f"{name}.py")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def _site_database(tmp_path) -> dict:
    """The environment that points the site's processes at this test's (committed) data."""
    db = connection.settings_dict
    if connection.vendor == "postgresql":
        auth = db["USER"] + (f":{db['PASSWORD']}" if db.get("PASSWORD") else "")
        return {"DATABASE_URL": f"postgres://{auth}@{db['HOST'] or 'localhost'}:{db['PORT'] or 5432}/{db['NAME']}"}
    path = tmp_path / "peak.sqlite3"
    connection.ensure_connection()
    target = sqlite3.connect(path)
    connection.connection.backup(target)
    target.close()
    return {"DATABASE_URL": "", "KEPU_SQLITE_PATH": str(path)}


def test_a_short_peak_runs_without_a_single_failure(tmp_path):
    from kepu.accounts.tests.factories import build_world

    run, plan = _load("run"), _load("plan")
    build_world()
    built = plan.build(districts=2, communities=2, residents=8, activities=3, capacity=2, claimers=2, tag="smoke")
    plan_path = tmp_path / "plan.json"
    plan_path.write_text(json.dumps(built), encoding="utf-8")
    db_env = _site_database(tmp_path)
    env = run.site_env(KEPU_VAR_DIR=str(tmp_path / "var"), **db_env)
    if not db_env["DATABASE_URL"]:
        env.pop("DATABASE_URL")
    t0 = time.monotonic()
    url, procs = run.start_site(env, 2, worker=False, log_dir=tmp_path)
    t1 = time.monotonic()
    try:
        step = run.run_locust(url, plan_path, USERS, SECONDS, tmp_path / "smoke", env)
    finally:
        run.stop(procs)
    stopped = time.monotonic() - t1 - step["seconds"]
    print(f"site up in {t1 - t0:.1f} s, Locust {step['seconds']} s, stopped in {stopped:.1f} s")  # shown with -s
    print({name: r["n"] for name, r in step["by_name"].items()})
    log = (tmp_path / "gunicorn.log").read_text(encoding="utf-8", errors="replace")

    assert step["failures"] == 0, f"{step['failure_samples']}\n{log[-3000:]}"
    assert step["locust_exit"] == 0, step["locust_stderr"] or log[-3000:]
    assert "Traceback" not in log, log[-3000:]
    # The residents did sign up (15 in 100 of their actions: ~60 actions in the run) and pages were served.
    assert step["by_name"].get("sign-up", {}).get("n", 0) > 0, step["by_name"]
    assert step["requests"] >= SECONDS, step
    if connection.vendor == "postgresql":
        with connection.cursor() as cursor:
            checks = plan.check(cursor)
    else:
        with sqlite3.connect(db_env["KEPU_SQLITE_PATH"]) as db:
            checks = plan.check(db.cursor())
    assert checks["over_capacity"] == [] and checks["double_claims"] == [], checks
    # Every sign-up Locust counted made a registration; a resident's sign-up still in flight when Locust stopped
    # may have landed without being counted (one per resident at most), never more.
    counted = step["by_name"]["sign-up"]["n"]
    assert counted <= checks["registrations"] <= counted + (USERS - 8), (checks, step["by_name"])
