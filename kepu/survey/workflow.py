"""The states of a response and of a round, declared in one place.

Response: in progress → submitted (awaiting review) → approved / not approved / on hold.
An office may change its decision while the round is open (a held response is decided
later; a mistaken decision is corrected), always with a reason for "not approved".
Only approved responses enter the estimates.
"""

from kepu.core.roles import Role
from kepu.survey.models import ResponseStatus, RoundStatus

#: Who reviews: the city office for every district, a district office for its own.
REVIEWER_ROLES = frozenset({Role.CITY_ADMIN, Role.DISTRICT_ADMIN})

#: Who may enter a questionnaire on a resident's behalf (调查员).
INTERVIEWER_ROLES = frozenset({Role.COMMUNITY_STAFF, Role.STREET_STAFF})

REVIEW_DECISIONS = (ResponseStatus.APPROVED, ResponseStatus.REJECTED, ResponseStatus.ON_HOLD)

#: from state → states a reviewer may move it to
REVIEW_TRANSITIONS = {
    ResponseStatus.SUBMITTED: set(REVIEW_DECISIONS),
    ResponseStatus.ON_HOLD: {ResponseStatus.APPROVED, ResponseStatus.REJECTED},
    ResponseStatus.APPROVED: {ResponseStatus.REJECTED, ResponseStatus.ON_HOLD},
    ResponseStatus.REJECTED: {ResponseStatus.APPROVED, ResponseStatus.ON_HOLD},
}

#: Decisions that must say why.
NEEDS_REASON = frozenset({ResponseStatus.REJECTED})

ROUND_TRANSITIONS = {
    RoundStatus.DRAFT: {RoundStatus.OPEN},
    RoundStatus.OPEN: {RoundStatus.CLOSED},
    RoundStatus.CLOSED: {RoundStatus.OPEN},
    RoundStatus.HISTORIC: set(),
}


def can_review(current: str, target: str) -> bool:
    return target in REVIEW_TRANSITIONS.get(current, set())


def can_move_round(current: str, target: str) -> bool:
    return target in ROUND_TRANSITIONS.get(current, set())
