"""The peak of 全国科普日 on one machine: gunicorn + the task worker under Locust, in steps of rising users.

    DATABASE_URL=postgres://postgres@127.0.0.1:55433/kepu_peak_bench \\
        /work/main/.venv/bin/python bench/peak/run.py --workers 4 --steps 10,20,40,60,80,120

Prepares the database (migrate; the demo seed once; optionally ``--activities`` background activities and
``--registrations`` from ``bench/activities``' generator), starts gunicorn on a socket it opened itself and
``manage.py run_worker``, then per step: new people and activities (``plan.py``: nobody signs up twice for
the same session across steps), Locust headless for ``--seconds`` with that many users, and the step's
requests/s, sign-ups/s, p50/p95/p99, failures and load average. After the last step it stops the site and
checks the database: no session holds more places than it has, no order was claimed twice.
Prints a JSON summary; see bench/peak/README.md for the figures.
"""

from __future__ import annotations

import argparse
import csv
import json
import os
import resource
import signal
import socket
import subprocess
import sys
import tempfile
import threading
import time
from datetime import datetime
from pathlib import Path

HERE = Path(__file__).resolve().parent
ROOT = HERE.parents[1]
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(HERE))
BIN = Path(sys.executable).parent


def setup(db_path: str | None) -> dict:
    """Django for this process; returns the environment the site's processes get (same database)."""
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "kepu.settings")
    os.environ.setdefault("KEPU_TESTING", "1")  # development keys and no HTTPS redirect; nothing else changes
    if not os.environ.get("DATABASE_URL"):
        os.environ["KEPU_SQLITE_PATH"] = db_path
    import django

    django.setup()
    return site_env()


def site_env(**extra) -> dict:
    env = dict(os.environ)
    env.update(
        DJANGO_SETTINGS_MODULE="kepu.settings",
        KEPU_TESTING="1",
        KEPU_SECURE_COOKIES="0",  # plain HTTP on the loopback
        KEPU_ALLOWED_HOSTS="127.0.0.1",
        PYTHONPATH=str(ROOT),
        **extra,
    )
    return env


def listening_socket() -> socket.socket:
    """A socket bound to a free port, handed to gunicorn: no port is ever guessed or raced for."""
    sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    sock.bind(("127.0.0.1", 0))
    sock.listen(1024)
    sock.set_inheritable(True)
    return sock


def start_site(env: dict, workers: int, *, worker: bool = True, log_dir: Path) -> tuple[str, list]:
    """gunicorn with ``workers`` processes (and the task worker); returns the base URL and the processes."""
    sock = listening_socket()
    port = sock.getsockname()[1]
    procs = []
    gunicorn_log = open(log_dir / "gunicorn.log", "w")  # noqa: SIM115 - closed with the process
    procs.append(
        subprocess.Popen(
            [
                str(BIN / "gunicorn"),
                "kepu.wsgi",
                "--workers",
                str(workers),
                "--bind",
                f"fd://{sock.fileno()}",
                "--timeout",
                "60",
                "--no-control-socket",
                "--graceful-timeout",
                "5",
            ],
            cwd=ROOT,
            env=env,
            pass_fds=(sock.fileno(),),
            stdout=gunicorn_log,
            stderr=subprocess.STDOUT,
        )
    )
    if worker:
        worker_log = open(log_dir / "worker.log", "w")  # noqa: SIM115
        procs.append(
            subprocess.Popen(
                [sys.executable, "manage.py", "run_worker"],
                cwd=ROOT,
                env=env,
                stdout=worker_log,
                stderr=subprocess.STDOUT,
            )
        )
    sock.close()  # gunicorn holds its own copy
    url = f"http://127.0.0.1:{port}"
    wait_ready(url, procs[0])
    return url, procs


def wait_ready(url: str, proc, timeout: float = 120) -> None:
    """Until the site answers (the socket is already listening: connections just queue until then)."""
    import urllib.request

    deadline = time.monotonic() + timeout
    while True:
        if proc.poll() is not None:
            raise RuntimeError(f"gunicorn exited ({proc.returncode}) before answering")
        try:
            with urllib.request.urlopen(url + "/healthz", timeout=30) as r:
                if r.status == 200:
                    return
        except OSError:
            pass
        if time.monotonic() > deadline:
            raise RuntimeError(f"the site did not answer within {timeout} s")
        time.sleep(0.5)


def stop(procs) -> None:
    for p in procs:
        if p.poll() is None:
            p.send_signal(signal.SIGTERM)
    for p in procs:
        try:
            p.wait(timeout=20)
        except subprocess.TimeoutExpired:
            p.kill()
            p.wait()


class CpuMeter:
    """CPU seconds of the site's processes during a step: gunicorn (all workers), the task worker and, on
    PostgreSQL, the server processes serving this database (sampled twice a second: a backend that ends
    between two samples loses at most half a second). Locust's own CPU is read when it has exited."""

    def __init__(self, procs, vendor: str):
        self.procs, self.vendor = procs, vendor
        self.base: dict[tuple, float] = {}
        self.last: dict[tuple, float] = {}
        self._stop = threading.Event()

    def _pids(self):
        import psutil

        out = []
        for role, p in zip(("gunicorn", "worker"), self.procs, strict=False):
            try:
                parent = psutil.Process(p.pid)
                out += [(role, q.pid) for q in [parent, *parent.children(recursive=True)]]
            except psutil.NoSuchProcess:
                pass
        if self.vendor == "postgresql":
            from django.db import connection

            with connection.cursor() as cursor:
                cursor.execute(
                    "SELECT pid FROM pg_stat_activity WHERE datname = current_database() AND pid <> pg_backend_pid()"
                )
                out += [("database", pid) for (pid,) in cursor.fetchall()]
        return out

    def _sample(self, first=False):
        import psutil

        for key in self._pids():
            try:
                t = psutil.Process(key[1]).cpu_times()
            except psutil.NoSuchProcess:
                continue
            value = t.user + t.system
            if first:
                self.base[key] = value
            self.last[key] = value

    def _loop(self):
        while not self._stop.wait(0.5):
            self._sample()

    def __enter__(self):
        self.children0 = resource.getrusage(resource.RUSAGE_CHILDREN)
        self._sample(first=True)
        self.thread = threading.Thread(target=self._loop, daemon=True)
        self.thread.start()
        return self

    def __exit__(self, *exc):
        self._stop.set()
        self.thread.join()
        from django.db import connection

        connection.close()
        children = resource.getrusage(resource.RUSAGE_CHILDREN)
        self.seconds = {
            "locust": children.ru_utime + children.ru_stime - self.children0.ru_utime - self.children0.ru_stime
        }
        for key, value in self.last.items():
            self.seconds[key[0]] = self.seconds.get(key[0], 0.0) + value - self.base.get(key, 0.0)
        self.seconds = {k: round(v, 1) for k, v in self.seconds.items()}


def run_locust(url: str, plan_path: Path, users: int, seconds: int, prefix: Path, env: dict) -> dict:
    """One headless Locust run; the figures of its CSV summary."""
    cmd = [
        str(BIN / "locust"),
        "-f",
        str(HERE / "locustfile.py"),
        "--headless",
        "--users",
        str(users),
        "--spawn-rate",
        str(max(users, 1)),
        "--run-time",
        f"{seconds}s",
        "--stop-timeout",
        "10",
        "--host",
        url,
        "--csv",
        str(prefix),
        "--only-summary",
        "--loglevel",
        "WARNING",
    ]
    t0 = time.monotonic()
    done = subprocess.run(
        cmd, env={**env, "PEAK_PLAN": str(plan_path)}, capture_output=True, text=True, timeout=seconds + 120
    )
    elapsed = time.monotonic() - t0
    rows = {r["Name"]: r for r in csv.DictReader(open(f"{prefix}_stats.csv", encoding="utf-8"))}
    failures = list(csv.DictReader(open(f"{prefix}_failures.csv", encoding="utf-8")))
    total = rows["Aggregated"]

    def rate(name):
        r = rows.get(name)
        return round(float(r["Requests/s"]), 1) if r else 0.0

    return {
        "users": users,
        "requests": int(total["Request Count"]),
        "failures": int(total["Failure Count"]),
        "rps": round(float(total["Requests/s"]), 1),
        "signups_per_s": rate("sign-up"),
        "checkins_per_s": rate("check-in"),
        "orders_per_s": rate("order"),
        "claims_per_s": rate("claim"),
        "p50_ms": int(float(total["50%"])),
        "p95_ms": int(float(total["95%"])),
        "p99_ms": int(float(total["99%"])),
        "max_ms": int(float(total["Max Response Time"])),
        "by_name": {
            name: {"n": int(r["Request Count"]), "p50": r["50%"], "p95": r["95%"], "p99": r["99%"]}
            for name, r in rows.items()
            if name != "Aggregated"
        },
        "failure_samples": [f"{f['Name']}: {f['Error']} ×{f['Occurrences']}" for f in failures[:5]],
        "locust_exit": done.returncode,
        "locust_stderr": done.stderr[-2000:] if done.returncode not in (0, 1) else "",
        "seconds": round(elapsed, 1),
    }


def main():
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--workers", type=int, default=4, help="gunicorn worker processes")
    parser.add_argument("--steps", default="10,20,40,80", help="users per step, rising")
    parser.add_argument("--seconds", type=int, default=60, help="length of each step")
    parser.add_argument("--districts", type=int, default=16)
    parser.add_argument("--communities", type=int, default=4, help="per district")
    parser.add_argument("--residents", type=int, default=40, help="per community and step")
    parser.add_argument("--activities-per-district", type=int, default=3)
    parser.add_argument(
        "--capacity", type=int, default=4, help="few places: sessions fill and spill onto waiting lists"
    )
    parser.add_argument("--activities", type=int, default=0, help="background activities (bench/activities)")
    parser.add_argument("--registrations", type=int, default=0, help="background registrations (bench/activities)")
    parser.add_argument("--warmup", type=int, default=20, help="seconds of unmeasured load first (0: none)")
    parser.add_argument("--no-worker", action="store_true", help="do not start the task worker")
    parser.add_argument("--sqlite-path", default="/tmp/kepu-bench-peak.sqlite3")
    parser.add_argument("--out", default="", help="directory for logs and Locust CSVs (default: a temporary one)")
    args = parser.parse_args()
    env = setup(args.sqlite_path)
    # Stopped with SIGTERM (or SIGINT, which a shell's background job ignores): stop the site on the way out.
    signal.signal(signal.SIGTERM, lambda *_: sys.exit(143))
    import plan as peak_plan
    from django.core.management import call_command
    from django.db import connection

    from kepu.accounts.models import User

    def out(msg):
        print(msg, file=sys.stderr, flush=True)  # noqa: T201 - a command-line tool

    out_dir = Path(args.out or tempfile.mkdtemp(prefix="kepu-peak-"))
    out_dir.mkdir(parents=True, exist_ok=True)
    call_command("migrate", verbosity=0)
    if not User.objects.filter(username="city.admin").exists():
        out("seeding the demo")
        call_command("seed_demo", scale="demo", quiet_logins=True, stdout=open(os.devnull, "w"))  # noqa: SIM115
    if args.activities:
        import importlib.util

        spec = importlib.util.spec_from_file_location("bench_activities", ROOT / "bench" / "activities" / "run.py")
        generator = importlib.util.module_from_spec(spec)
        spec.loader.exec_module(generator)
        generator.generate(args.activities, args.registrations, 2026, out)
        call_command("activities_rebuild", verbosity=0)
    connection.close()
    url, procs = start_site(env, args.workers, worker=not args.no_worker, log_dir=out_dir)
    out(f"site at {url} ({args.workers} gunicorn workers); logs and CSVs in {out_dir}")
    steps = []
    try:
        if args.warmup:  # every gunicorn worker compiles its templates and opens its connection once: not measured
            warm = peak_plan.build(
                districts=args.districts, communities=1, residents=4, activities=1, tag=f"w{datetime.now():%H%M%S}"
            )
            connection.close()
            (out_dir / "plan-warmup.json").write_text(json.dumps(warm), encoding="utf-8")
            run_locust(url, out_dir / "plan-warmup.json", 12, args.warmup, out_dir / "warmup", env)
        for users in [int(s) for s in args.steps.split(",") if s.strip()]:
            built = peak_plan.build(
                districts=args.districts,
                communities=args.communities,
                residents=args.residents,
                activities=args.activities_per_district,
                capacity=args.capacity,
                tag=f"s{users}-{datetime.now():%H%M%S}",
            )
            connection.close()
            plan_path = out_dir / f"plan-{users}.json"
            plan_path.write_text(json.dumps(built), encoding="utf-8")
            load_before = os.getloadavg()[0]
            with CpuMeter(procs, connection.vendor) as cpu:
                step = run_locust(url, plan_path, users, args.seconds, out_dir / f"step-{users}", env)
            step["cpu_seconds"] = cpu.seconds
            step["load_before"] = round(load_before, 2)
            step["load_after"] = [round(x, 2) for x in os.getloadavg()]
            step["meets_target"] = step["failures"] == 0 and step["p99_ms"] < 200
            steps.append(step)
            out(
                f"  {users:>4} users: {step['rps']:>6} req/s, {step['signups_per_s']:>5} sign-ups/s, "
                f"p50/p95/p99 {step['p50_ms']}/{step['p95_ms']}/{step['p99_ms']} ms, {step['failures']} failed, "
                f"load {step['load_before']} → {step['load_after'][0]}, CPU s {cpu.seconds}"
            )
            time.sleep(5)  # let the queue drain and the load settle a little between steps
    finally:
        stop(procs)
    with connection.cursor() as cursor:
        checks = peak_plan.check(cursor)
    met = [s for s in steps if s["meets_target"]]
    summary = {
        "database": connection.vendor,
        "workers": args.workers,
        "cpus": os.cpu_count(),
        "steps": steps,
        "best_meeting_target": max(met, key=lambda s: s["rps"], default=None)
        and {k: max(met, key=lambda s: s["rps"])[k] for k in ("users", "rps", "signups_per_s", "p99_ms")},
        "checks": checks,
        "at": datetime.now().isoformat(timespec="seconds"),
    }
    print(json.dumps(summary, ensure_ascii=False, indent=2))  # noqa: T201
    if checks["over_capacity"] or checks["double_claims"]:
        sys.exit("the database broke an invariant: see checks")


if __name__ == "__main__":
    main()
