"""Survey fixtures built through the services, as the offices would."""

from __future__ import annotations

import json
import random
from pathlib import Path
from types import SimpleNamespace

from kepu.survey import services
from kepu.survey.models import Area, Education, KeyPopulation, ResponseStatus, Sex

BANK_FILE = Path(__file__).resolve().parents[1] / "data" / "bank_2026.json"


def bank_data(code: str = "bj-csl-2026") -> dict:
    data = json.loads(BANK_FILE.read_text(encoding="utf-8"))
    data["id"] = code
    return data


def sample_csv(world, weights=(900.0, 1100.0, 1300.0, 700.0)) -> str:
    """Both districts of the world, urban stratum each, both streets and both communities of each street."""
    lines = ["district,area,street,community,base_weight,psu_population,quota"]
    for d in (world.a, world.b):
        for i, c in enumerate(d.communities):
            lines.append(f"{d.place.name},urban,{c.parent.code},{c.name},{weights[i % len(weights)]},6,40")
    return "\n".join(lines) + "\n"


def margins_csv(world, total: float = 100_000.0) -> str:
    """district×sex and education margins that add up to the same population."""
    lines = ["variable,level,total"]
    half = total / 4
    for d in (world.a, world.b):
        lines.append(f"district*sex,{d.place.name}|女,{half}")
        lines.append(f"district*sex,{d.place.name}|男,{half}")
    shares = {"primary": 0.15, "junior_high": 0.3, "senior_high": 0.3, "college": 0.25}
    for edu, share in shares.items():
        lines.append(f"education,{edu},{total * share}")
    return "\n".join(lines) + "\n"


def open_round(world, *, margins: bool = True, show_score: bool = True, rule: str = "current"):
    city = world.city_admin
    bank = services.bank_import(actor=city, data=bank_data(f"bank-{random.randint(0, 10**9)}"))
    round_ = services.round_create(
        actor=city,
        name="2026年北京市公民科学素质调查",
        year=2026,
        bank=bank,
        rule=rule,
        show_score=show_score,
        target_rate=0.28,
    )
    services.design_import_csv(actor=city, round_=round_, text=sample_csv(world))
    if margins:
        services.margins_import_csv(actor=city, round_=round_, text=margins_csv(world))
    services.round_set_status(actor=city, round_=round_, status="open")
    round_.refresh_from_db()
    return round_


def answers_for(bank_questions, rng: random.Random, skill: float) -> dict:
    out = {}
    for q in bank_questions:
        if rng.random() < skill:
            out[q.code] = q.answer
        else:
            wrong = [o["key"] for o in q.options if o["key"] != q.answer]
            out[q.code] = rng.choice(wrong) if wrong else "Z"
    return out


def fill(actor, round_, community, *, rng: random.Random, skill: float | None = None, submit: bool = True, **demo):
    """Start, answer every question and submit, through the services."""
    fields = {
        "sex": rng.choice(Sex.values),
        "age": rng.randint(18, 69),
        "education": rng.choice(Education.values),
        "area": Area.URBAN,
        "key_population": rng.choice(["", *KeyPopulation.values]),
    }
    fields.update(demo)
    response = services.response_start(actor=actor, round_=round_, community=community, **fields)
    questions = list(round_.bank.questions.order_by("position"))
    answers = answers_for(questions, rng, skill if skill is not None else rng.random())
    response = services.response_save_answers(actor=actor, response=response, answers=answers)
    if submit:
        response = services.response_submit(actor=actor, response=response)
    return response


def run_job(actor, round_):
    """Request an estimation and let the (immediate) task backend run it when the transaction commits."""
    from django.test import TestCase

    with TestCase.captureOnCommitCallbacks(execute=True):
        run = services.estimation_request(actor=actor, round_=round_)
    run.refresh_from_db()
    return run


def filled_round(world, n_per_community: int = 8, seed: int = 7, **kwargs) -> SimpleNamespace:
    """An open round with interviewer entries in every community, all approved by their district office."""
    rng = random.Random(seed)
    round_ = open_round(world, **kwargs)
    responses = []
    for d in (world.a, world.b):
        for c in d.communities:
            # The street staff of street 0 interviews in its street; community staff only in its own community.
            for _ in range(n_per_community):
                interviewer = d.street_staff if c.parent_id == d.streets[0].pk else None
                if interviewer is None:
                    from kepu.accounts.tests.factories import person
                    from kepu.core.roles import Role
                    from kepu.orgs.models import Organization

                    office = Organization.objects.get(place=c.parent, kind="street_office")
                    interviewer = person(office, Role.STREET_STAFF)
                r = fill(interviewer, round_, c, rng=rng)
                services.response_review(actor=d.admin, response=r, decision=ResponseStatus.APPROVED)
                responses.append(r)
    return SimpleNamespace(round=round_, responses=responses)
