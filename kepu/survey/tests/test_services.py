"""Services: banks, sample and margin imports (all or nothing), questionnaires, reviews, rounds."""

import random

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from kepu.core.errors import NotAllowed
from kepu.core.models import AuditEntry
from kepu.survey import services, workflow
from kepu.survey.errors import (
    AlreadyAnswered,
    BadTransition,
    ImportInvalid,
    Incomplete,
    NotInSample,
    ReasonRequired,
    RoundNotOpen,
    SurveyError,
)
from kepu.survey.models import (
    PopulationMargin,
    QuestionBank,
    Response,
    ResponseStatus,
    Round,
    RoundStatus,
    SampledCommunity,
    Stratum,
    age_group,
)
from kepu.survey.tests.factories import bank_data, fill, margins_csv, open_round, sample_csv

REVIEW_CODES = ["kepu.survey.response.approve", "kepu.survey.response.reject", "kepu.survey.response.hold"]

pytestmark = pytest.mark.django_db


def test_the_demo_bank_has_twenty_questions_across_the_four_dimensions(world):
    bank = services.bank_import(actor=world.city_admin, data=bank_data())
    dims = list(bank.questions.values_list("dimension", flat=True))
    assert len(dims) == 20
    assert {d: dims.count(d) for d in set(dims)} == {"knowledge": 8, "method": 4, "spirit": 4, "application": 4}
    assert AuditEntry.objects.filter(action="kepu.survey.bank_imported").exists()


def test_a_bank_with_an_answer_outside_its_options_is_refused_whole(world):
    data = bank_data("bad")
    data["questions"][3]["answer"] = "E"
    with pytest.raises(ImportInvalid) as exc:
        services.bank_import(actor=world.city_admin, data=data)
    assert "4" in str(exc.value.message)
    assert not QuestionBank.objects.filter(code="bad").exists()


def test_only_the_city_imports_banks_and_creates_rounds(world):
    with pytest.raises(NotAllowed):
        services.bank_import(actor=world.a.admin, data=bank_data())
    bank = services.bank_import(actor=world.city_admin, data=bank_data())
    with pytest.raises(NotAllowed):
        services.round_create(actor=world.a.admin, name="x", year=2026, bank=bank)


def test_sample_import_builds_strata_streets_and_communities(world):
    bank = services.bank_import(actor=world.city_admin, data=bank_data())
    r = services.round_create(actor=world.city_admin, name="r", year=2026, bank=bank)
    summary = services.design_import_csv(actor=world.city_admin, round_=r, text=sample_csv(world))
    assert summary == {"strata": 2, "streets": 4, "communities": 8}
    s = Stratum.objects.get(round=r, district=world.a.place)
    assert (s.area, s.quota, s.psu_population) == ("urban", 40, 6)
    assert SampledCommunity.objects.filter(round=r).count() == 8


def test_sample_import_with_one_bad_line_changes_nothing(world):
    bank = services.bank_import(actor=world.city_admin, data=bank_data())
    r = services.round_create(actor=world.city_admin, name="r", year=2026, bank=bank)
    services.design_import_csv(actor=world.city_admin, round_=r, text=sample_csv(world))
    bad = sample_csv(world) + f"{world.a.place.name},urban,{world.a.streets[0].code},不存在社区,10\n"
    with pytest.raises(ImportInvalid) as exc:
        services.design_import_csv(actor=world.city_admin, round_=r, text=bad)
    assert "10" in str(exc.value.message)  # the line number
    assert SampledCommunity.objects.filter(round=r).count() == 8


def test_sample_is_locked_once_the_round_is_open(world):
    r = open_round(world)
    with pytest.raises(SurveyError) as exc:
        services.design_import_csv(actor=world.city_admin, round_=r, text=sample_csv(world))
    assert exc.value.code == "survey_sample_locked"


def test_margins_accept_names_and_codes_and_must_add_up(world):
    r = open_round(world, margins=False)
    n = services.margins_import_csv(actor=world.city_admin, round_=r, text=margins_csv(world))
    assert n == 8
    assert PopulationMargin.objects.get(round=r, variable="district*sex", level=f"{world.a.place.code}|female")
    lopsided = margins_csv(world).replace("college,25000", "college,99999")
    with pytest.raises(ImportInvalid):
        services.margins_import_csv(actor=world.city_admin, round_=r, text=lopsided)
    assert PopulationMargin.objects.filter(round=r).count() == 8
    with pytest.raises(ImportInvalid):
        services.margins_import_csv(actor=world.city_admin, round_=r, text="variable,level,total\nheight,tall,5\n")
    with pytest.raises(ImportInvalid):
        services.margins_import_csv(actor=world.city_admin, round_=r, text="foo,bar\n1,2\n")


def test_a_round_opens_only_with_a_sample(world):
    bank = services.bank_import(actor=world.city_admin, data=bank_data())
    r = services.round_create(actor=world.city_admin, name="r", year=2026, bank=bank)
    with pytest.raises(SurveyError):
        services.round_set_status(actor=world.city_admin, round_=r, status=RoundStatus.OPEN)
    with pytest.raises(BadTransition):
        services.round_set_status(actor=world.city_admin, round_=r, status=RoundStatus.CLOSED)


def test_a_resident_answers_once_resumes_and_submits(world):
    r = open_round(world)
    me = world.a.resident
    response = services.response_start(
        actor=me,
        round_=r,
        community=world.a.communities[0],
        sex="female",
        age=67,
        education="junior_high",
        area="urban",
        key_population="elderly",
    )
    assert response.respondent == me.user and response.interviewer is None
    with pytest.raises(AlreadyAnswered):
        services.response_start(
            actor=me,
            round_=r,
            community=world.a.communities[0],
            sex="female",
            age=67,
            education="junior_high",
            area="urban",
        )
    response = services.response_answer(actor=me, response=response, question_code="k01", value="a")
    response = services.response_answer(actor=me, response=response, question_code="k02", value="A")
    assert response.position == 2 and response.answers == {"k01": "A", "k02": "A"}
    with pytest.raises(Incomplete):
        services.response_submit(actor=me, response=response)
    with pytest.raises(SurveyError):
        services.response_answer(actor=me, response=response, question_code="k04", value="AB")  # single choice
    response = services.response_answer(actor=me, response=response, question_code="k08", value=["D", "a", "B"])
    assert response.answers["k08"] == "ABD"
    with pytest.raises(NotAllowed):
        services.response_answer(actor=world.a.neighbour, response=response, question_code="k03", value="A")


def test_demographics_are_checked(world):
    r = open_round(world)
    with pytest.raises(SurveyError) as exc:
        services.response_start(
            actor=world.a.resident,
            round_=r,
            community=world.a.communities[0],
            sex="x",
            age=70,
            education="phd",
            area="urban",
        )
    assert set(exc.value.data["errors"]) == {"sex", "age", "education"}
    assert not Response.objects.exists()


def test_interviewers_enter_only_in_their_area_and_only_in_the_sample(world):
    r = open_round(world)
    rng = random.Random(3)
    entry = fill(world.a.community_staff, r, world.a.communities[0], rng=rng, respondent_label="张阿姨")
    assert entry.interviewer == world.a.community_staff.user and entry.respondent is None
    with pytest.raises(NotAllowed):
        fill(world.a.community_staff, r, world.a.communities[1], rng=rng)
    with pytest.raises(NotAllowed):
        fill(world.a.street_staff, r, world.b.communities[0], rng=rng)
    with pytest.raises(NotAllowed):
        fill(world.a.unit_staff, r, world.a.communities[0], rng=rng)
    SampledCommunity.objects.filter(round=r, place=world.a.communities[1]).delete()
    with pytest.raises(NotInSample):
        fill(world.a.street_staff, r, world.a.communities[1], rng=rng)


def test_a_closed_round_takes_no_answers(world):
    r = open_round(world)
    services.round_set_status(actor=world.city_admin, round_=r, status=RoundStatus.CLOSED)
    with pytest.raises(RoundNotOpen):
        fill(world.a.resident, r, world.a.communities[0], rng=random.Random(1))


def test_review_needs_a_reason_for_not_approved_and_follows_the_district(world):
    r = open_round(world)
    entry = fill(world.a.street_staff, r, world.a.communities[0], rng=random.Random(2))
    with pytest.raises(NotAllowed):
        services.response_review(actor=world.b.admin, response=entry, decision=ResponseStatus.APPROVED)
    with pytest.raises(NotAllowed):
        services.response_review(actor=world.a.street_staff, response=entry, decision=ResponseStatus.APPROVED)
    with pytest.raises(ReasonRequired):
        services.response_review(actor=world.a.admin, response=entry, decision=ResponseStatus.REJECTED, reason=" ")
    entry = services.response_review(actor=world.a.admin, response=entry, decision=ResponseStatus.ON_HOLD)
    entry = services.response_review(
        actor=world.city_admin, response=entry, decision=ResponseStatus.REJECTED, reason="年龄与身份不符"
    )
    assert entry.status == ResponseStatus.REJECTED and entry.review_reason == "年龄与身份不符"
    assert entry.reviewed_by == world.city_admin.user
    log = AuditEntry.objects.filter(action__in=REVIEW_CODES).order_by("at", "id")
    assert [e.data["to"] for e in log] == ["on_hold", "rejected"]


def test_an_unsubmitted_questionnaire_cannot_be_reviewed(world):
    r = open_round(world)
    entry = fill(world.a.street_staff, r, world.a.communities[0], rng=random.Random(2), submit=False)
    with pytest.raises(BadTransition):
        services.response_review(actor=world.a.admin, response=entry, decision=ResponseStatus.APPROVED)


@given(st.lists(st.sampled_from(list(ResponseStatus.values)), max_size=8))
def test_review_transitions_never_leave_the_declared_graph(path):
    state = ResponseStatus.SUBMITTED
    for target in path:
        if workflow.can_review(state, target):
            assert target in workflow.REVIEW_DECISIONS
            state = target
    assert state != ResponseStatus.IN_PROGRESS


@settings(max_examples=60)
@given(st.integers(min_value=18, max_value=69))
def test_age_groups_cover_18_to_69_in_ten_year_bands(age):
    group = age_group(age)
    low, high = (int(x) for x in group.split("-"))
    assert low <= age <= high


def test_historic_rounds_hold_only_their_figure(world):
    r = services.round_record_historic(
        actor=world.city_admin, name="2020年北京市公民科学素质调查", year=2020, rate=0.2407, source="北京市科协发布"
    )
    assert r.status == RoundStatus.HISTORIC and r.recorded_rate == 0.2407
    with pytest.raises(SurveyError):
        services.round_record_historic(actor=world.city_admin, name="x", year=2021, rate=24.07)
    assert Round.objects.count() == 1


def test_a_pending_estimation_blocks_another_until_it_is_stale(world):
    from datetime import timedelta

    from django.utils import timezone

    from kepu.survey.models import EstimationRun

    r = open_round(world)
    stuck = EstimationRun.objects.create(round=r, status="running")
    with pytest.raises(SurveyError) as exc:
        services.estimation_request(actor=world.city_admin, round_=r)
    assert exc.value.code == "survey_run_pending"
    EstimationRun.objects.filter(pk=stuck.pk).update(created_at=timezone.now() - timedelta(hours=2))
    assert services.estimation_request(actor=world.city_admin, round_=r).status == "queued"
    with pytest.raises(NotAllowed):
        services.estimation_request(actor=world.a.admin, round_=r)
