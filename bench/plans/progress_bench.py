"""How long a plan's progress, supervision and evaluation take for a big plan.

Builds, in a throw-away SQLite database, one plan of SECTIONS × TASKS_PER_SECTION tasks, one
target per task and REPORTS progress reports spread over the tasks (bulk inserts), then times
``plan_progress`` (the tree with every progress and status), ``supervision_by_unit`` and
``evaluate``, and counts their queries.

    KEPU_SQLITE_PATH=/tmp/kepu-bench-plans.sqlite3 /work/venv/bin/python bench/plans/progress_bench.py
"""

import os
import sys
import time
from datetime import date
from decimal import Decimal
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[2]))
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "kepu.settings")
os.environ.setdefault("KEPU_SQLITE_PATH", "/tmp/kepu-bench-plans.sqlite3")
os.environ.setdefault("KEPU_DEBUG", "1")  # a development secret key is enough for a throw-away database

SECTIONS = int(os.environ.get("BENCH_SECTIONS", 50))
TASKS_PER_SECTION = int(os.environ.get("BENCH_TASKS_PER_SECTION", 60))
REPORTS = int(os.environ.get("BENCH_REPORTS", 30_000))


def main() -> None:
    db = Path(os.environ["KEPU_SQLITE_PATH"])
    if db.exists():
        db.unlink()
    import django

    django.setup()
    from django.core.management import call_command
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    call_command("migrate", verbosity=0)
    from kepu.orgs.models import Organization, OrgKind
    from kepu.places.tests.factories import city, tree
    from kepu.plans.evaluation import evaluate
    from kepu.plans.models import NodeKind, Plan, PlanNode, ProgressReport, Target
    from kepu.plans.selectors import plan_progress, supervision_by_unit

    district, _streets = tree(city(), "110115", "大兴区")
    office = Organization.objects.create(name="大兴区科协", kind=OrgKind.DISTRICT_OFFICE, place=district)
    units = Organization.objects.bulk_create(
        Organization(name=f"大兴区单位{i}", kind=OrgKind.MEMBER_UNIT, place=district) for i in range(40)
    )
    plan = Plan.objects.create(
        owner=office,
        place=district,
        title="bench",
        year=2026,
        period_start=date(2026, 1, 1),
        period_end=date(2026, 12, 31),
    )
    sections = PlanNode.objects.bulk_create(
        PlanNode(plan=plan, kind=NodeKind.SECTION, position=s * (TASKS_PER_SECTION + 1), title=f"部分{s}")
        for s in range(SECTIONS)
    )
    tasks = PlanNode.objects.bulk_create(
        PlanNode(
            plan=plan,
            parent=sec,
            kind=NodeKind.TASK,
            position=s * (TASKS_PER_SECTION + 1) + t + 1,
            title=f"任务{s}.{t}",
            lead_unit=units[(s * TASKS_PER_SECTION + t) % len(units)],
        )
        for s, sec in enumerate(sections)
        for t in range(TASKS_PER_SECTION)
    )
    through = PlanNode.co_units.through
    through.objects.bulk_create(
        through(plannode_id=t.pk, organization_id=units[(i + 7) % len(units)].pk) for i, t in enumerate(tasks)
    )
    targets = Target.objects.bulk_create(
        Target(task=t, label="活动", quantity=Decimal(100), unit_of_measure="场") for t in tasks
    )
    ProgressReport.objects.bulk_create(
        ProgressReport(
            task=tasks[i % len(tasks)],
            organization=tasks[i % len(tasks)].lead_unit,
            target=targets[i % len(tasks)],
            value=Decimal(i % 120),
            text="进展",
            percent=Decimal(i % 100),
        )
        for i in range(REPORTS)
    )

    plan = Plan.objects.get(pk=plan.pk)
    for label, fn in (
        ("plan_progress", lambda: plan_progress(plan)),
        ("plan_progress + supervision_by_unit", lambda: supervision_by_unit(plan_progress(plan))),
        ("plan_progress + evaluate", lambda: evaluate(plan_progress(plan))),
    ):
        fn()  # warm
        runs = []
        for _ in range(5):
            with CaptureQueriesContext(connection) as queries:
                start = time.perf_counter()
                fn()
                runs.append(time.perf_counter() - start)
        print(
            f"{label:40s} best {min(runs) * 1000:7.0f} ms  median {sorted(runs)[2] * 1000:7.0f} ms"
            f"  queries {len(queries)}"
        )
    print(f"{len(tasks)} tasks, {len(targets)} targets, {REPORTS} reports, {len(units)} units")


if __name__ == "__main__":
    main()
