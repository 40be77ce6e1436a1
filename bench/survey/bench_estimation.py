"""Time the survey's background job (score + design + rake + estimates by 7 groupings + writing results).

Builds a throw-away SQLite database with the demo seed, adds synthetic questionnaires in bulk (the seeder's own
generator) until the round has the requested number, then runs the job the way the worker does.

    KEPU_TESTING=1 /work/venv/bin/python bench/survey/bench_estimation.py --sizes 2600 20000 60000
"""

from __future__ import annotations

import argparse
import os
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(ROOT))


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--sizes", type=int, nargs="+", default=[2600, 20000, 60000])
    args = parser.parse_args()
    tmp = tempfile.mkdtemp(prefix="kepu-bench-survey-")
    os.environ.setdefault("KEPU_TESTING", "1")
    os.environ["KEPU_SQLITE_PATH"] = str(Path(tmp) / "bench.sqlite3")
    os.environ["DJANGO_SETTINGS_MODULE"] = "kepu.settings"
    import django

    django.setup()
    from django.core.management import call_command

    from kepu.core.seeding import SeedContext
    from kepu.survey import analysis, services
    from kepu.survey.models import EstimationRun, Response, Round, RoundStatus
    from kepu.survey.seed import _bulk_responses

    call_command("migrate", verbosity=0)
    call_command("seed_demo", "--quiet-logins", stdout=open(os.devnull, "w"))
    round_ = Round.objects.exclude(status=RoundStatus.HISTORIC).get()
    units = round_.strata.values("streets__communities").count()
    ctx = SeedContext(scale="demo", seed=7, out=lambda s: None)
    print(f"{'questionnaires':>15} {'approved':>9} {'engine s':>9} {'job s':>7}")
    for size in sorted(args.sizes):
        have = Response.objects.filter(round=round_).count()
        if size > have:
            _bulk_responses(ctx, round_, max(1, (size - have) // units))
        t0 = time.perf_counter()
        analysis.run(round_)
        engine = time.perf_counter() - t0
        run = EstimationRun.objects.create(round=round_, rule=round_.rule)
        t0 = time.perf_counter()
        run = services.estimation_execute(run_id=run.pk)
        job = time.perf_counter() - t0
        assert run.status == "done", run.error_message
        print(f"{Response.objects.filter(round=round_).count():>15,} {run.respondents:>9,} {engine:>9.2f} {job:>7.2f}")


if __name__ == "__main__":
    main()
