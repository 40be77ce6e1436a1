"""Demo data: the question bank, past rounds' published figures, and a 2026 round with a few
thousand synthetic questionnaires (bulk inserts) already scored and estimated, so that the
results page looks like the real thing. At ``city`` scale every district is sampled and
the round has tens of thousands of questionnaires.
"""

from __future__ import annotations

import json
import math
from datetime import date, timedelta
from pathlib import Path

from django.db import transaction
from django.utils import timezone

from kepu.accounts.models import Membership, User
from kepu.core.actor import Actor
from kepu.core.roles import Role
from kepu.core.seeding import SeedContext, seeder
from kepu.places.choices import PlaceLevel
from kepu.places.models import Place
from kepu.places.seed import DEMO_DISTRICTS
from kepu.survey import services
from kepu.survey.models import (
    EstimationRun,
    Response,
    ResponseStatus,
    Round,
    RoundStatus,
    SampledCommunity,
)

BANK_FILE = Path(__file__).parent / "data" / "bank_2026.json"
#: Residents aged 18-69 by district (approximate, in thousands), for the demo margins.
ADULTS = {
    "110101": 480,
    "110102": 760,
    "110105": 2400,
    "110106": 1400,
    "110107": 390,
    "110108": 2250,
    "110109": 270,
    "110111": 920,
    "110112": 1350,
    "110113": 980,
    "110114": 1600,
    "110115": 1450,
    "110116": 320,
    "110117": 330,
    "110118": 390,
    "110119": 250,
}
AGE_SHARES = {"18-29": 0.19, "30-39": 0.25, "40-49": 0.21, "50-59": 0.19, "60-69": 0.16}
EDU_SHARES = {"primary": 0.07, "junior_high": 0.24, "senior_high": 0.22, "college": 0.47}
REJECT_REASONS = ("答题用时过短，疑似未认真作答", "年龄超出18—69周岁范围", "由他人代答，非本人回答", "同一住户重复填写")


def _city_actor() -> Actor | None:
    m = Membership.objects.filter(role=Role.CITY_ADMIN, is_active=True).select_related("user", "organization").first()
    return Actor(user=m.user, membership=m) if m else None


def _is_rural(street: Place) -> bool:
    return street.name.endswith(("镇", "乡"))


def _sample_rows(ctx: SeedContext, districts: list[Place], per_street: int, streets_per_stratum: int):
    """One CSV row per sampled community; strata are district × urban/rural."""
    rows = ["district,area,street,community,base_weight,psu_population,quota"]
    plan = []
    for district in districts:
        streets = list(Place.objects.filter(parent=district, level=PlaceLevel.STREET).order_by("code"))
        for area in ("urban", "rural"):
            in_stratum = [s for s in streets if _is_rural(s) == (area == "rural")]
            if len(in_stratum) < 2:
                continue
            # The first street is always drawn so that the demo logins' community is in the sample.
            chosen = in_stratum[:1] + ctx.rng.sample(in_stratum[1:], min(streets_per_stratum - 1, len(in_stratum) - 1))
            for street in chosen:
                communities = list(
                    Place.objects.filter(parent=street, level=PlaceLevel.COMMUNITY).order_by("code")[:per_street]
                )
                for c in communities:
                    plan.append((district, area, street, c, len(in_stratum)))
    return rows, plan


def _margins_csv(districts: list[Place]) -> str:
    total = 0
    lines = ["variable,level,total"]
    for d in districts:
        people = ADULTS.get(d.code, 500) * 1000
        male = round(people * 0.51)
        lines += [f"district*sex,{d.code}|male,{male}", f"district*sex,{d.code}|female,{people - male}"]
        total += people
    for variable, shares in (("age_group", AGE_SHARES), ("education", EDU_SHARES)):
        cells = {k: round(total * v) for k, v in shares.items()}
        biggest = max(cells, key=cells.get)
        cells[biggest] += total - sum(cells.values())
        lines += [f"{variable},{k},{v}" for k, v in cells.items()]
    return "\n".join(lines) + "\n"


def _demographics(rng, area: str) -> dict:
    sex = "male" if rng.random() < 0.5 else "female"
    ages = list(AGE_SHARES)
    group = rng.choices(ages, weights=[0.16, 0.22, 0.22, 0.21, 0.19])[0]
    low = int(group[:2])
    age = rng.randint(low, low + 9)
    edu_w = [0.06, 0.22, 0.25, 0.47] if area == "urban" else [0.16, 0.42, 0.24, 0.18]
    if age >= 50:
        edu_w = [edu_w[0] * 2, edu_w[1] * 1.5, edu_w[2], edu_w[3] * 0.5]
    education = rng.choices(list(EDU_SHARES), weights=edu_w)[0]
    key = ""
    roll = rng.random()
    if age >= 60 and roll < 0.7:
        key = "elderly"
    elif area == "rural" and roll < 0.35:
        key = "farmers"
    elif age <= 35 and roll < 0.25:
        key = "youth"
    elif roll < 0.12:
        key = "workers"
    elif education == "college" and roll < 0.2:
        key = "officials"
    return {"sex": sex, "age": age, "education": education, "area": area, "key_population": key}


def _answers(rng, questions, demo: dict, community_effect: float) -> dict:
    ability = (
        -0.75
        + {"primary": -1.2, "junior_high": -0.55, "senior_high": 0.1, "college": 0.75}[demo["education"]]
        + (0.25 if demo["area"] == "urban" else -0.2)
        - 0.012 * (demo["age"] - 40)
        + community_effect
        + rng.gauss(0, 0.75)
    )
    out = {}
    for j, q in enumerate(questions):
        easiness = 1.5 - 0.09 * j if q.dimension == "knowledge" else 0.9 - 0.05 * j
        if 1 / (1 + math.exp(-(ability + easiness))) > rng.random():
            out[q.code] = q.answer
        else:
            wrong = [o["key"] for o in q.options if o["key"] != q.answer] or ["A"]
            out[q.code] = rng.choice(wrong)
    return out


@seeder(order=60)
def seed_survey(ctx: SeedContext) -> None:
    city = _city_actor()
    if city is None or Round.objects.exists():
        ctx.out("    survey exists or no city office; skipped")
        return
    bank = services.bank_import(actor=city, data=json.loads(BANK_FILE.read_text(encoding="utf-8")))
    # Only the figures the city has published are recorded (see docs/DOMAIN.md).
    for year, rate, source in ((2020, 0.2407, "北京市科协发布"), (2023, 0.2768, "北京市科协发布")):
        services.round_record_historic(
            actor=city,
            name=f"{year}年北京市公民科学素质调查",
            year=year,
            rate=round(rate, 4),
            source=source,
            target_rate=0.28,
        )
    round_ = services.round_create(
        actor=city,
        name="2026年北京市公民科学素质调查",
        year=2026,
        bank=bank,
        show_score=True,
        target_rate=0.28,
        opens_on=date(2026, 9, 1),
        closes_on=date(2026, 12, 31),
    )
    codes = None if ctx.is_city else DEMO_DISTRICTS
    districts = list(
        Place.objects.filter(level=PlaceLevel.DISTRICT, **({"code__in": codes} if codes else {})).order_by("code")
    )
    per_community = 30 if ctx.is_city else 25
    header, plan = _sample_rows(ctx, districts, per_street=4, streets_per_stratum=4)
    adults = {d.code: ADULTS.get(d.code, 500) * 1000 for d in districts}
    stratum_communities: dict[tuple, int] = {}
    for district, area, *_rest in plan:
        stratum_communities[(district.code, area)] = stratum_communities.get((district.code, area), 0) + 1
    rows = list(header)
    for district, area, street, community, n_streets in plan:
        share = 0.75 if area == "urban" else 0.25
        has_rural = (district.code, "rural") in stratum_communities
        stratum_people = adults[district.code] * (share if has_rural else 1.0)
        weight = stratum_people / (stratum_communities[(district.code, area)] * per_community)
        quota = stratum_communities[(district.code, area)] * per_community
        rows.append(f"{district.code},{area},{street.code},{community.code},{weight:.2f},{n_streets},{quota}")
    services.design_import_csv(actor=city, round_=round_, text="\n".join(rows) + "\n")
    services.margins_import_csv(actor=city, round_=round_, text=_margins_csv(districts))
    services.round_set_status(actor=city, round_=round_, status=RoundStatus.OPEN)
    n = _bulk_responses(ctx, round_, per_community)
    run = EstimationRun.objects.create(round=round_, requested_by=city.user, rule=round_.rule)
    run = services.estimation_execute(run_id=run.pk)
    city_row = run.estimates.filter(kind="city").first()
    ctx.out(
        f"    {n} questionnaires; estimation {run.status}"
        + (f": {city_row.estimate:.2%} literate" if city_row else f" ({run.error_message})")
    )


def _bulk_responses(ctx: SeedContext, round_: Round, per_community: int) -> int:
    rng = ctx.rng
    questions = list(round_.bank.questions.order_by("position"))
    units = list(SampledCommunity.objects.filter(round=round_).select_related("place__parent", "street__stratum"))
    street_staff = {
        m.organization.place_id: m.user
        for m in Membership.objects.filter(role=Role.STREET_STAFF, is_active=True).select_related(
            "organization", "user"
        )
    }
    reviewers = {
        m.organization.place.code: m.user
        for m in Membership.objects.filter(role=Role.DISTRICT_ADMIN, is_active=True).select_related(
            "organization__place", "user"
        )
    }
    city_user = User.objects.filter(memberships__role=Role.CITY_ADMIN).first()
    now = timezone.now()
    batch: list[Response] = []
    total = 0
    for unit in units:
        effect = rng.gauss(0, 0.3)
        area = unit.street.stratum.area
        for k in range(per_community):
            demo = _demographics(rng, area)
            roll = rng.random()
            status = (
                ResponseStatus.APPROVED
                if roll < 0.88
                else ResponseStatus.SUBMITTED
                if roll < 0.93
                else ResponseStatus.ON_HOLD
                if roll < 0.96
                else ResponseStatus.REJECTED
            )
            submitted = now - timedelta(days=rng.randint(1, 60), minutes=rng.randint(0, 600))
            reviewed = status not in (ResponseStatus.SUBMITTED,)
            batch.append(
                Response(
                    round=round_,
                    unit=unit,
                    place=unit.place,
                    interviewer=street_staff.get(unit.place.parent_id),
                    respondent_label=f"{unit.place.name}-{k + 1:02d}",
                    answers=_answers(rng, questions, demo, effect),
                    position=len(questions),
                    status=status,
                    submitted_at=submitted,
                    reviewed_by=(reviewers.get(unit.place.district_code) or city_user) if reviewed else None,
                    reviewed_at=submitted + timedelta(days=2) if reviewed else None,
                    review_reason=rng.choice(REJECT_REASONS) if status == ResponseStatus.REJECTED else "",
                    **demo,
                )
            )
            if len(batch) >= 2000:
                with transaction.atomic():
                    Response.objects.bulk_create(batch)
                total += len(batch)
                batch = []
    if batch:
        with transaction.atomic():
            Response.objects.bulk_create(batch)
        total += len(batch)
    return total
