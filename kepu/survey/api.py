"""/api/v1/survey/: rounds, questionnaires, review and results, through the same services."""

from __future__ import annotations

from datetime import datetime

from ninja import Router, Schema, Status
from ninja.pagination import paginate

from kepu.core.api import Pages, actor_of
from kepu.core.errors import NotFound
from kepu.core.permissions import can
from kepu.places.selectors import place_by_code_or_none
from kepu.survey import selectors, services
from kepu.survey.permissions import ResponseAction

router = Router(tags=["survey"])


class RoundOut(Schema):
    id: int
    name: str
    year: int
    status: str
    rule: str
    show_score: bool
    target_rate: float | None
    recorded_rate: float | None


class QuestionOut(Schema):
    code: str
    position: int
    dimension: str
    kind: str
    text: str
    options: list[dict]


class ResponseStartIn(Schema):
    community: str
    sex: str
    age: int
    education: str
    area: str
    key_population: str = ""
    respondent_label: str = ""


class AnswerIn(Schema):
    question: str
    answer: str | list[str]


class ReviewIn(Schema):
    decision: str
    reason: str = ""


class ResponseOut(Schema):
    id: int
    round_id: int
    community: str
    status: str
    position: int
    answers: dict
    submitted_at: datetime | None
    review_reason: str
    total_score: float | None = None
    literate: bool | None = None

    @staticmethod
    def resolve_community(obj):
        return obj.place.code

    # Scores are the respondent's only when the round shows them; offices see them always.
    @staticmethod
    def resolve_total_score(obj, context):
        return obj.total_score if _may_see_score(context["request"].actor, obj) else None

    @staticmethod
    def resolve_literate(obj, context):
        return obj.literate if _may_see_score(context["request"].actor, obj) else None


class EstimateOut(Schema):
    kind: str
    level: str
    label: str
    estimate: float
    se: float
    ci_low: float
    ci_high: float
    df: int
    n: int
    deff: float | None


class ResultsOut(Schema):
    round_id: int
    run_id: int
    respondents: int
    calibrated: bool
    finished_at: datetime | None
    estimates: list[EstimateOut]


class RunOut(Schema):
    id: int
    status: str
    error_code: str
    error_message: str


def _may_see_score(actor, response) -> bool:
    return can(actor, ResponseAction.VIEW_KEY, response) or can(actor, ResponseAction.VIEW_SCORE, response)


@router.get("/rounds", response=list[RoundOut], summary="Survey rounds the caller may see")
def round_list(request):
    return list(selectors.round_list(actor=actor_of(request)))


@router.get("/rounds/{round_id}", response=RoundOut)
def round_get(request, round_id: int):
    return selectors.round_get(actor=actor_of(request), pk=round_id)


@router.get("/rounds/{round_id}/questions", response=list[QuestionOut], summary="The questionnaire (no answer key)")
def round_questions(request, round_id: int):
    round_ = selectors.round_get(actor=actor_of(request), pk=round_id)
    if round_.bank is None:
        return []
    return list(round_.bank.questions.order_by("position"))


@router.get("/rounds/{round_id}/progress", summary="Quota progress per stratum (offices)")
def round_progress(request, round_id: int):
    actor = actor_of(request)
    round_ = selectors.round_get(actor=actor, pk=round_id)
    return [
        {
            "stratum": p["stratum"].code,
            "district": p["stratum"].district.code,
            "area": p["stratum"].area,
            "quota": p["quota"],
            "submitted": p["submitted"],
            "approved": p["approved"],
            "on_hold": p["on_hold"],
            "rejected": p["rejected"],
            "in_progress": p["in_progress"],
        }
        for p in selectors.round_progress(actor=actor, round_=round_)
    ]


@router.get("/rounds/{round_id}/results", response=ResultsOut, summary="Latest literacy estimates by group")
def round_results(request, round_id: int):
    actor = actor_of(request)
    round_ = selectors.round_get(actor=actor, pk=round_id)
    results = selectors.round_results(actor=actor, round_=round_)
    if results is None:
        raise NotFound()
    run = results["run"]
    return {
        "round_id": round_.pk,
        "run_id": run.pk,
        "respondents": run.respondents,
        "calibrated": run.calibrated,
        "finished_at": run.finished_at,
        "estimates": results["estimates"],
    }


@router.post("/rounds/{round_id}/estimate", response={202: RunOut}, summary="Start scoring and estimation")
def round_estimate(request, round_id: int):
    actor = actor_of(request)
    round_ = selectors.round_get(actor=actor, pk=round_id)
    run = services.estimation_request(actor=actor, round_=round_)
    run.refresh_from_db()
    return Status(202, run)


@router.post("/rounds/{round_id}/responses", response={201: ResponseOut}, summary="Begin a questionnaire")
def response_start(request, round_id: int, payload: ResponseStartIn):
    actor = actor_of(request)
    round_ = selectors.round_get(actor=actor, pk=round_id)
    community = place_by_code_or_none(payload.community)
    if community is None:
        raise NotFound()
    response = services.response_start(
        actor=actor,
        round_=round_,
        community=community,
        sex=payload.sex,
        age=payload.age,
        education=payload.education,
        area=payload.area,
        key_population=payload.key_population,
        respondent_label=payload.respondent_label,
    )
    return Status(201, response)


@router.get("/responses", response=list[ResponseOut], summary="Responses the caller may see")
@paginate(Pages, page_size=50)
def response_list(request, round: int | None = None, status: str = ""):
    actor = actor_of(request)
    round_ = selectors.round_get(actor=actor, pk=round) if round else None
    return selectors.response_list(actor=actor, round_=round_, status=status).select_related("round")


@router.get("/responses/{response_id}", response=ResponseOut)
def response_get(request, response_id: int):
    actor = actor_of(request)
    return selectors.response_get(actor=actor, pk=response_id)


@router.post("/responses/{response_id}/answers", response=ResponseOut, summary="Save one answer")
def response_answer(request, response_id: int, payload: AnswerIn):
    actor = actor_of(request)
    response = selectors.response_get(actor=actor, pk=response_id)
    response = services.response_answer(
        actor=actor, response=response, question_code=payload.question, value=payload.answer
    )
    return response


@router.post("/responses/{response_id}/submit", response=ResponseOut)
def response_submit(request, response_id: int):
    actor = actor_of(request)
    response = selectors.response_get(actor=actor, pk=response_id)
    return services.response_submit(actor=actor, response=response)


@router.post("/responses/{response_id}/review", response=ResponseOut, summary="Approve, hold or refuse")
def response_review(request, response_id: int, payload: ReviewIn):
    actor = actor_of(request)
    response = selectors.response_get(actor=actor, pk=response_id)
    return services.response_review(actor=actor, response=response, decision=payload.decision, reason=payload.reason)
