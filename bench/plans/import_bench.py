"""How long importing a plan takes at the importer's limits, and how big the review page gets.

In a throw-away SQLite database: a district with UNITS member units; a generated plan of PARTS
numbered tasks, each naming three units (one known, one of seven unknown names, a group);
times ``parse_text`` alone, ``draft_create`` (parse, match every unit, store the draft), one
page of the review as the office's browser gets it, the draft through the API, and the refusal
of a 4.9 MB text (the case that once made an 11,500-task draft in 99 s). Best of three runs.

    KEPU_SQLITE_PATH=/tmp/kepu-bench-import.sqlite3 /work/main/.venv/bin/python bench/plans/import_bench.py
"""

import os
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[2]))
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "kepu.settings")
os.environ.setdefault("KEPU_SQLITE_PATH", "/tmp/kepu-bench-import.sqlite3")
os.environ.setdefault("KEPU_DEBUG", "1")  # a development secret key is enough for a throw-away database

PARTS = int(os.environ.get("BENCH_PARTS", 1000))
UNITS = int(os.environ.get("BENCH_UNITS", 60))


def plan_text(parts: int) -> str:
    return "2026年测试区科普工作要点\n" + "".join(
        f"{n % 500 + 1}、开展第{n}项科普活动，组织讲座{n + 1}场，服务群众不少于 2 万人次。"
        f"（责任单位：区卫健委、区未知单位{n % 7}、各街道）\n"
        for n in range(parts)
    )


def best(runs: list[float]) -> str:
    return f"{min(runs):.2f} s"


def main() -> None:
    db = Path(os.environ["KEPU_SQLITE_PATH"])
    if db.exists():
        db.unlink()
    import django

    django.setup()
    from django.core.management import call_command
    from django.test import Client
    from django.test.utils import setup_test_environment

    setup_test_environment()
    call_command("migrate", verbosity=0)
    from kepu.accounts.tests.factories import person
    from kepu.core.roles import Role
    from kepu.core.testing.web import login
    from kepu.orgs.models import Organization, OrgKind
    from kepu.places.tests.factories import city, tree
    from kepu.plans import services
    from kepu.plans.importer import PlanImportError, parse_text
    from kepu.plans.models import ImportDraft

    district, _streets = tree(city(), "110115", "大兴区")
    office = Organization.objects.create(name="大兴区科协", kind=OrgKind.DISTRICT_OFFICE, place=district)
    Organization.objects.create(name="大兴区卫健委", short_name="区卫健委", kind=OrgKind.MEMBER_UNIT, place=district)
    Organization.objects.bulk_create(
        Organization(name=f"大兴区单位{i:02d}", kind=OrgKind.MEMBER_UNIT, place=district) for i in range(UNITS)
    )
    admin = person(office, Role.DISTRICT_ADMIN)
    text = plan_text(PARTS)
    print(f"plan: {PARTS} tasks, {len(text):,} characters; {UNITS + 2} organizations in the district")

    parse = []
    for _ in range(3):
        start = time.perf_counter()
        parse_text(text)
        parse.append(time.perf_counter() - start)
    create = []
    for _ in range(3):
        ImportDraft.objects.all().delete()
        start = time.perf_counter()
        draft = services.draft_create(actor=admin, data=text.encode(), filename="plan.txt")
        create.append(time.perf_counter() - start)
    client = login(Client(), admin)
    pages = []
    size = 0
    for _ in range(3):
        start = time.perf_counter()
        response = client.get(f"/plans/import/{draft.pk}/?page=13")
        pages.append(time.perf_counter() - start)
        size = len(response.content)
    api = []
    api_size = 0
    for _ in range(3):
        start = time.perf_counter()
        response = client.get(f"/api/v1/plans/drafts/{draft.pk}")
        api.append(time.perf_counter() - start)
        api_size = len(response.content)
    huge = plan_text(40_000).encode()[:4_900_000].decode(errors="ignore")  # 4.9 MB in UTF-8
    start = time.perf_counter()
    try:
        parse_text(huge)
    except PlanImportError as exc:
        refused = f"{exc.code} in {time.perf_counter() - start:.3f} s"
    print(f"parse_text                {best(parse)}")
    print(f"draft_create              {best(create)}  (parse, match {PARTS * 3:,} unit names, store)")
    print(f"review page 13 of 25      {best(pages)}  {size / 1024:.0f} KiB")
    print(f"draft through the API     {best(api)}  {api_size / 1024:.0f} KiB")
    print(f"{len(huge.encode()) / 1e6:.1f} MB text             {refused}")


if __name__ == "__main__":
    main()
