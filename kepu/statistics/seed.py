"""Demo statistics: last year filed and approved, this year's forms in several states.

大兴区 and 西城区 (the districts with demo logins): last year every form was filed, accepted by the
district and the district's table accepted by the city; this year the forms are open and pre-filled
from the platform, 西城区 has accepted every form and submitted its table to the city, and 大兴区 is
midway: some forms accepted, some submitted, one sent back with a reason, the rest (the demo street
office's among them) still being filled. A few of 大兴区's activities are co-hosted by two units, so
its table shows duplicates removed.

The figures only the units know (staff, funding, media) are made up, consistent with the rules; the
seed writes them as a unit would, with the history kept.
"""

from __future__ import annotations

import random
from decimal import Decimal

from kepu.core.seeding import SeedContext, seeder

DAXING, XICHENG = "110115", "110102"


def _actor(username: str):
    from kepu.accounts.models import Membership
    from kepu.core.actor import Actor

    m = Membership.objects.select_related("user", "organization__place").filter(user__username=username).first()
    return Actor(user=m.user, membership=m) if m else None


def made_up(rng: random.Random, indicators, kind: str, last: dict | None = None) -> dict:
    """Plausible figures for the indicators a unit must enter itself, consistent with the year's rules
    (and within a third of last year's, so the year-on-year warnings stay few)."""

    def near(code, low, high):
        if last and last.get(code):
            base = int(last[code])
            return max(0, base + rng.randint(-base // 3, base // 3))
        return rng.randint(low, high)

    v: dict[str, Decimal] = {}
    p01 = near("P01", 2, 12)
    p08 = near("P08", 5, 40)
    v.update(P01=p01, P02=rng.randint(0, p01), P03=rng.randint(0, p01), P04=rng.randint(0, p01 // 2),
             P05=rng.randint(0, p01 // 2), P06=rng.randint(0, p01), P07=rng.randint(0, p01))  # fmt: skip
    v.update(P08=p08, P09=rng.randint(0, p08), P10=rng.randint(0, p08), P11=rng.randint(0, p08),
             P12=rng.randint(0, p08), P13=Decimal(rng.randint(p08, p08 * 6)) / 2)  # fmt: skip
    has_museum = kind == "science_base" and rng.random() < 0.7
    area = rng.randint(2000, 9000) if has_museum else 0
    visits = near("V04", 5000, 60000) if has_museum else 0
    v.update(V01=int(has_museum), V02=area, V03=area * rng.randint(40, 80) // 100, V04=visits,
             V05=0, V06=0, V07=0, V08=0, V09=int(kind == "science_base" and rng.random() < 0.3),
             V10=rng.randint(1, 12), V11=rng.randint(0, 4), V12=rng.randint(0, 1), V13=rng.randint(2, 20))  # fmt: skip
    gov = Decimal(near("F02", 5, 80))
    don, own, other = Decimal(rng.randint(0, 5)), Decimal(rng.randint(0, 20)), Decimal(rng.randint(0, 3))
    raised = gov + don + own + other
    carry = Decimal(rng.randint(0, 10))
    spent = (raised * Decimal(rng.randint(70, 100)) / 100).quantize(Decimal("0.01"))
    q = Decimal("0.01")
    admin, acts, build = (
        (spent * Decimal("0.1")).quantize(q),
        (spent * Decimal("0.5")).quantize(q),
        (spent * Decimal("0.3")).quantize(q),
    )
    v.update(F01=raised, F02=gov, F03=(gov * Decimal("0.6")).quantize(q), F04=don, F05=own, F06=other, F07=carry,
             F08=spent, F09=admin, F10=acts, F11=build, F12=(build * Decimal("0.4")).quantize(q),
             F13=spent - admin - acts - build)  # fmt: skip
    m01 = rng.randint(0, 3)
    v.update(M01=m01, M02=m01 * rng.randint(500, 3000), M03=rng.randint(0, 1), M04=rng.randint(0, 2000),
             M05=Decimal(rng.randint(0, 40)), M06=Decimal(rng.randint(0, 60)), M07=rng.randint(0, 1),
             M08=rng.randint(0, 3), M09=near("M09", 10, 200))  # fmt: skip
    v.update(A09=rng.randint(0, 6), A10=rng.randint(0, 300), A13=rng.randint(0, 4), A14=rng.randint(0, 200),
             E05=rng.randint(0, 8), E06=rng.randint(0, 120))  # fmt: skip
    codes = {i.code for i in indicators if i.applies(kind) and not i.source}
    return {c: Decimal(x) for c, x in v.items() if c in codes}


def fill(report, values: dict, rng: random.Random) -> None:
    """Write ``values`` into a unit's form as the unit would (history kept), and explain its warnings."""
    from kepu.core import clock
    from kepu.statistics.models import RuleNote, Value, ValueChange, ValueSource
    from kepu.statistics.selectors import form_check

    now = clock.now()
    rows = {v.indicator.code: v for v in Value.objects.filter(report=report).select_related("indicator")}
    changes = []
    for code, value in values.items():
        row = rows.get(code)
        if row is None or row.value is not None:
            continue
        row.value = value
        changes.append(ValueChange(report=report, indicator=row.indicator, old=None, new=value,
                                   source=ValueSource.UNIT, reason="", at=now))  # fmt: skip
    Value.objects.bulk_update([r for r in rows.values() if r.value is not None], ["value"])
    ValueChange.objects.bulk_create(changes)
    for v in form_check(report).unexplained:
        RuleNote.objects.create(
            report=report, rule_key=v.key, at=now,
            text=rng.choice(["今年平台开展的活动明显增多", "机构调整，人员有变化", "新增科普场地投入使用"]),
        )  # fmt: skip


def move(report, status: str, *, reason: str = "") -> None:
    from kepu.core import clock
    from kepu.statistics.models import ReportStatus

    now = clock.now()
    report.status = status
    if status in (ReportStatus.SUBMITTED, ReportStatus.ACCEPTED, ReportStatus.REPORTED):
        report.submitted_at = now
    if status in (ReportStatus.ACCEPTED, ReportStatus.REPORTED, ReportStatus.RETURNED):
        report.reviewed_at = now
    report.return_reason = reason
    report.save(update_fields=["status", "submitted_at", "reviewed_at", "return_reason", "updated_at"])


DEMO_ACTIVITIES = (
    ("dx.health", "lecture", "老年人慢病防治讲座", 60),
    ("dx.health", "exhibition", "健康生活方式展", 180),
    ("dx.street", "lecture", "防范电信诈骗进社区", 90),
    ("dx.street", "science_week", "科技活动周社区科普集市", 140),
    ("dx.street", "hands_on", "青少年创客体验课", 200),
    ("dx.base", "open_day", "科技馆公众开放日", 120),
    ("dx.base", "competition", "青少年科普知识竞赛", 250),
    ("dx.base", "course", "周末科学课堂", 30),
    ("dx.community", "lecture", "家庭急救知识讲座", 110),
)
#: Which demo activities are co-hosted, and with whose organization.
CO_HOSTED = {"健康生活方式展": "dx.street", "防范电信诈骗进社区": "dx.health"}


def _demo_activities(office, rng: random.Random) -> int:
    """Activities held in 大兴区 in the last two years, with people who came, two of them co-hosted."""
    from datetime import datetime, timedelta

    from django.utils import timezone

    from kepu.activities.services import (
        activity_create,
        activity_set_co_organizers,
        activity_submit,
        walk_in_record,
    )
    from kepu.core import clock

    now = clock.now()
    made = 0
    for year in (now.year - 1, now.year):
        for username, kind, title, day in DEMO_ACTIVITIES:
            organizer = _actor(username)
            start = datetime(year, 1, 1, 9, 30, tzinfo=timezone.get_current_timezone()) + timedelta(days=day)
            if organizer is None or start + timedelta(hours=2) > now:
                continue
            activity = activity_create(
                actor=office,
                organization=organizer.organization,
                title=title,
                kind=kind,
                sessions=[(start, start + timedelta(hours=2), 200)],
                address=organizer.organization.place.name,
            )
            activity = activity_submit(actor=office, activity=activity)
            if title in CO_HOSTED and _actor(CO_HOSTED[title]):
                activity_set_co_organizers(
                    actor=office, activity=activity, organizations=[_actor(CO_HOSTED[title]).organization]
                )
            for session in activity.sessions.all():
                with clock.frozen_at(session.starts_at + timedelta(minutes=20)):  # counted at the door
                    for population in ("elderly", "youth", "other"):
                        walk_in_record(
                            actor=office, session=session, head_count=rng.randint(10, 60), population=population
                        )
            made += 1
    return made


@seeder(order=80)
def seed_statistics(ctx: SeedContext) -> None:
    from kepu.core import clock
    from kepu.places.models import Place
    from kepu.statistics import rollup, services
    from kepu.statistics.models import Report, ReportLevel, ReportStatus

    if Report.objects.exists():
        ctx.out("    statistics exist; skipped")
        return
    rng = random.Random(ctx.seed)
    this = clock.now().year
    offices = {DAXING: _actor("dx.office"), XICHENG: _actor("xc.office")}
    if offices[DAXING]:
        ctx.out(f"    {_demo_activities(offices[DAXING], rng)} activities held in 大兴区 (two co-hosted)")
    for code, office in offices.items():
        if office is None:
            continue
        district = Place.objects.get(code=code)
        last_values = {}
        for year in (this - 1, this):
            services.year_open(actor=office, district=district, year=year)
            indicators = rollup.indicators_for(year)
            units = list(
                Report.objects.filter(district=district, year=year, level=ReportLevel.UNIT).order_by(
                    "kind", "place_path"
                )
            )
            table = Report.objects.get(district=district, year=year, level=ReportLevel.DISTRICT)
            for i, report in enumerate(units):
                demo_form = report.organization_id == _demo_org("dx.street")
                if year == this and code == DAXING and (demo_form or i % 4 == 3):
                    fill(report, dict(list(made_up(rng, indicators, report.kind).items())[:20]), rng)
                    continue  # still being filled
                values = made_up(rng, indicators, report.kind, last_values.get(report.organization_id))
                fill(report, values, rng)
                last_values[report.organization_id] = values
                if year == this and code == DAXING:
                    if report.organization_id == _demo_org("dx.health"):
                        move(report, ReportStatus.RETURNED, reason="经费使用额与活动支出明细不符，请核对后重新提交")
                    else:
                        move(report, ReportStatus.SUBMITTED if i % 4 == 1 else ReportStatus.ACCEPTED)
                else:
                    move(report, ReportStatus.ACCEPTED)
            if year == this - 1:
                for report in units:
                    move(report, ReportStatus.REPORTED)
                move(table, ReportStatus.ACCEPTED)
            elif code == XICHENG:
                move(table, ReportStatus.SUBMITTED)
        ctx.out(f"    {district.name}: {Report.objects.filter(district=district).count()} forms over two years")


def _demo_org(username: str) -> int | None:
    actor = _actor(username)
    return actor.organization_id if actor else None
