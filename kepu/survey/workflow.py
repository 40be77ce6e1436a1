"""The survey's state machines, declared with ``kepu.core.workflow``.

Round: draft → open (once it has a sample and a question bank) → closed → open again; a historic
round (a recorded figure) never moves. Only the city office runs rounds.

Response: in progress → submitted (awaiting review) → approved / not approved / on hold. An
office may change its decision while the round is open (a held response is decided later; a
mistaken decision is corrected), always with a reason for "not approved". Only approved
responses enter the estimates.

Estimation run: queued → running → done or failed, moved by the background worker only (the
platform itself); a run the worker lost is failed so the round can be estimated again.
"""

from __future__ import annotations

from django.utils.translation import gettext_lazy as _

from kepu.core.actor import Actor
from kepu.core.permissions import covers
from kepu.core.roles import Role
from kepu.core.workflow import Transition, Workflow, nobody
from kepu.survey.errors import BadTransition
from kepu.survey.models import EstimationRun, Response, ResponseStatus, Round, RoundStatus, RunStatus

#: Who reviews: the city office for every district, a district office for its own.
REVIEWER_ROLES = frozenset({Role.CITY_ADMIN, Role.DISTRICT_ADMIN})

#: Who may enter a questionnaire on a resident's behalf (调查员).
INTERVIEWER_ROLES = frozenset({Role.COMMUNITY_STAFF, Role.STREET_STAFF})

REVIEW_DECISIONS = (ResponseStatus.APPROVED, ResponseStatus.REJECTED, ResponseStatus.ON_HOLD)
#: The transition that makes each review decision.
DECISION_TRANSITION = {ResponseStatus.APPROVED: "approve", ResponseStatus.REJECTED: "reject",
                       ResponseStatus.ON_HOLD: "hold"}  # fmt: skip

R = ResponseStatus
S = RoundStatus


def _city(actor: Actor, round_: Round) -> bool:
    return actor.is_city


def _unready(round_: Round):
    """A round opens only with its sample and its question bank."""
    from kepu.survey.errors import SurveyError
    from kepu.survey.models import SampledCommunity

    if round_.bank_id is None:
        return SurveyError(_("Choose a question bank before opening the round."), code="survey_no_bank")
    if not SampledCommunity.objects.filter(round=round_).exists():
        return SurveyError(
            _("Add the sample (strata, streets, communities) before opening the round."), code="survey_no_sample"
        )
    return None


ROUND = Workflow(
    "round",
    wrong_state=BadTransition,
    model=Round,
    audit_prefix="kepu.survey.round",
    transitions=[
        Transition("open", _("Open the round"), {S.DRAFT, S.CLOSED}, S.OPEN, {Role.CITY_ADMIN}, _city,
                   guard=_unready),
        Transition("close", _("Close the round"), {S.OPEN}, S.CLOSED, {Role.CITY_ADMIN}, _city, negative=True),
    ],
)  # fmt: skip


def _filler(actor: Actor, response: Response) -> bool:
    """The resident answering for themself, or the interviewer who enters it for them."""
    if actor.role == Role.RESIDENT:
        return response.respondent_id == actor.user_id and response.interviewer_id is None
    if actor.role in INTERVIEWER_ROLES:
        return response.interviewer_id == actor.user_id
    return False


def _reviewer(actor: Actor, response: Response) -> bool:
    return actor.role in REVIEWER_ROLES and covers(actor, response.place.path)


def _round_open(response: Response) -> bool:
    return response.round.is_open


FILLERS = frozenset({Role.RESIDENT}) | INTERVIEWER_ROLES

RESPONSE = Workflow(
    "response",
    wrong_state=BadTransition,
    model=Response,
    audit_prefix="kepu.survey.response",
    audit_place=lambda response: response.place,
    transitions=[
        Transition("submit", _("Submit"), {R.IN_PROGRESS}, R.SUBMITTED, FILLERS, _filler, when=_round_open),
        Transition("approve", _("Approve"), {R.SUBMITTED, R.ON_HOLD, R.REJECTED}, R.APPROVED, REVIEWER_ROLES,
                   _reviewer),
        Transition("reject", _("Not approved"), {R.SUBMITTED, R.ON_HOLD, R.APPROVED}, R.REJECTED, REVIEWER_ROLES,
                   _reviewer, needs_reason=True, negative=True),
        Transition("hold", _("On hold"), {R.SUBMITTED, R.APPROVED, R.REJECTED}, R.ON_HOLD, REVIEWER_ROLES,
                   _reviewer),
    ],
)  # fmt: skip

RUN = Workflow(
    "estimation_run",
    wrong_state=BadTransition,
    model=EstimationRun,
    audit_prefix="kepu.survey.run",
    transitions=[
        Transition("start", _("Started"), {RunStatus.QUEUED}, RunStatus.RUNNING, party=nobody, system=True),
        Transition("finish", _("Results published"), {RunStatus.RUNNING}, RunStatus.DONE, party=nobody,
                   system=True),
        Transition("fail", _("Failed"), {RunStatus.QUEUED, RunStatus.RUNNING}, RunStatus.FAILED, party=nobody,
                   system=True),
    ],
)  # fmt: skip


def can_review(current: str, target: str) -> bool:
    """Whether a review decision ``target`` can be made on a response in state ``current``."""
    name = DECISION_TRANSITION.get(target)
    return name is not None and current in RESPONSE[name].sources
