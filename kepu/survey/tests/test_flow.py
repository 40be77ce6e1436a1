"""The whole flow: responses → review → background job → results that agree with the engine."""

import random

import numpy as np
import pytest

from kepu import literacy
from kepu.survey import selectors, services
from kepu.survey.models import (
    EstimationRun,
    LiteracyEstimate,
    Response,
    ResponseStatus,
    RunStatus,
    age_group,
)
from kepu.survey.tests.factories import filled_round, margins_csv, run_job

pytestmark = pytest.mark.django_db


def engine_on(round_, responses, *, rake=True):
    """The engine called directly on the same data, laid out independently of the app's bridge."""
    bank = literacy.QuestionBank.from_dict(
        {
            "id": "b",
            "questions": [
                {"id": q.code, "dimension": q.dimension, "points": q.points, "answer": q.answer}
                for q in round_.bank.questions.order_by("position")
            ],
        }
    )
    rs = sorted(responses, key=lambda r: r.pk)
    answers = np.array([[r.answers[q] for q in bank.ids] for r in rs], dtype=object)
    scored = literacy.score(answers, bank=bank, rule=literacy.load_rule(round_.rule))
    data = {
        "stratum": np.array([r.unit.street.stratum.code for r in rs], dtype=object),
        "psu": np.array([r.unit.street_id for r in rs]),
        "ssu": np.array([r.unit_id for r in rs]),
        "w": np.array([r.unit.base_weight for r in rs]),
        "fpc": np.array([r.unit.street.stratum.psu_population for r in rs], dtype=float),
        "district": np.array([r.place.district_code for r in rs], dtype=object),
        "sex": np.array([r.sex for r in rs], dtype=object),
        "education": np.array([r.education for r in rs], dtype=object),
        "age_group": np.array([age_group(r.age) for r in rs], dtype=object),
        "y": scored.literate.astype(int),
    }
    design = literacy.Design.create(
        data, strata="stratum", clusters=["psu", "ssu"], weights="w", fpc="fpc", lonely_psu="adjust"
    )
    if rake:
        margins = [
            m
            for m in literacy.calibration.margins_from_records(
                [{"variable": m.variable, "level": m.level, "total": m.total} for m in round_.margins.all()]
            )
        ]
        design = literacy.rake(design, margins)
    return scored, design


def test_job_results_agree_with_the_engine_called_directly(world):
    filled = filled_round(world)
    round_ = filled.round
    run = run_job(world.city_admin, round_)
    assert run.status == RunStatus.DONE, run.error_message
    assert run.calibrated and run.respondents == len(filled.responses)

    responses = list(Response.objects.filter(round=round_).select_related("unit__street__stratum", "place"))
    scored, design = engine_on(round_, responses)
    city = literacy.estimate_proportion(design, "y", deff=True).get()
    stored = LiteracyEstimate.objects.get(run=run, kind="city")
    assert stored.estimate == pytest.approx(city.estimate, abs=1e-12)
    assert stored.se == pytest.approx(city.se, rel=1e-9)
    assert (stored.ci_low, stored.ci_high) == pytest.approx((city.ci_low, city.ci_high), rel=1e-9)
    assert stored.df == city.df == design.n_psu - design.n_strata == 4 - 2
    assert stored.deff == pytest.approx(city.deff, rel=1e-9)

    by_district = literacy.estimate_proportion(design, "y", domain="district")
    for e in LiteracyEstimate.objects.filter(run=run, kind="district"):
        ref = by_district.get(e.level)
        assert e.estimate == pytest.approx(ref.estimate, abs=1e-12)
        assert e.se == pytest.approx(ref.se, rel=1e-9)
    assert {e.label for e in LiteracyEstimate.objects.filter(run=run, kind="district")} == {"大兴区", "西城区"}
    by_edu = literacy.estimate_proportion(design, "y", domain="education")
    for e in LiteracyEstimate.objects.filter(run=run, kind="education"):
        assert e.estimate == pytest.approx(by_edu.get(e.level).estimate, abs=1e-12)

    # Each respondent's score is the engine's.
    rs = sorted(responses, key=lambda r: r.pk)
    for i, r in enumerate(rs):
        assert r.total_score == pytest.approx(scored.total[i], abs=0.01)
        assert r.literate == bool(scored.literate[i])

    # Raking met the margins: weighted counts per education level equal the population.
    for edu, share in {"college": 0.25, "primary": 0.15}.items():
        assert design.weights[design.data["education"] == edu].sum() == pytest.approx(100_000 * share, rel=1e-6)


def test_without_margins_the_job_uses_base_weights(world):
    filled = filled_round(world, margins=False, n_per_community=5)
    run = run_job(world.city_admin, filled.round)
    assert run.status == RunStatus.DONE and not run.calibrated
    responses = list(Response.objects.filter(round=filled.round).select_related("unit__street__stratum", "place"))
    _scored, design = engine_on(filled.round, responses, rake=False)
    ref = literacy.estimate_proportion(design, "y").get()
    assert LiteracyEstimate.objects.get(run=run, kind="city").estimate == pytest.approx(ref.estimate, abs=1e-12)


def test_only_approved_responses_count_and_a_refused_one_loses_its_score(world):
    filled = filled_round(world, n_per_community=5)
    refused = filled.responses[0]
    services.response_review(
        actor=world.city_admin, response=refused, decision=ResponseStatus.REJECTED, reason="答题时间过短"
    )
    run = run_job(world.city_admin, filled.round)
    assert run.respondents == len(filled.responses) - 1
    refused.refresh_from_db()
    assert refused.total_score is None and refused.literate is None


def test_margins_that_do_not_fit_the_sample_fail_the_run_with_the_engine_code(world):
    filled = filled_round(world, n_per_community=4)
    # Margins for one district only: the other district's respondents have no population total.
    text = margins_csv(world).splitlines()
    only_a = [line for line in text if world.b.place.name not in line]
    # Keep the totals consistent so that the import itself accepts them.
    fixed = [
        "variable,level,total",
        f"district*sex,{world.a.place.name}|女,50000",
        f"district*sex,{world.a.place.name}|男,50000",
    ] + [line for line in only_a if line.startswith("education")]
    services.margins_import_csv(actor=world.city_admin, round_=filled.round, text="\n".join(fixed))
    run = run_job(world.city_admin, filled.round)
    assert run.status == RunStatus.FAILED
    assert run.error_code == "margin_mismatch"
    assert selectors.round_results(actor=world.city_admin, round_=filled.round) is None


def test_a_round_without_approved_responses_fails_clearly(world):
    from kepu.survey.tests.factories import open_round

    round_ = open_round(world)
    run = run_job(world.city_admin, round_)
    assert run.status == RunStatus.FAILED and "no approved responses" in run.error_message
    assert EstimationRun.objects.filter(round=round_).count() == 1


def test_the_resident_sees_their_own_score_after_the_job_when_the_round_allows_it(world):
    from kepu.core.permissions import can
    from kepu.survey.tests.factories import fill

    filled = filled_round(world, n_per_community=3)
    resident = world.a.resident
    mine = fill(resident, filled.round, world.a.communities[0], rng=random.Random(1), skill=1.0)
    assert not can(resident, "view_score", mine)
    services.response_review(actor=world.a.admin, response=mine, decision=ResponseStatus.APPROVED)
    run_job(world.city_admin, filled.round)
    mine.refresh_from_db()
    assert mine.total_score == pytest.approx(100.0) and mine.literate
    assert can(resident, "view_score", mine)
