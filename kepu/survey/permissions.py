"""Who may do what in the survey.

* The city office runs rounds (design, margins, opening, estimation), reviews every
  response and sees every result.
* A district office sees the rounds, the progress and review queue of its district, and
  the results for its district only.
* Community and street staff act as interviewers (调查员): they enter questionnaires for
  residents of their area and see the entries they made.
* A resident answers an open round for themself and sees only their own response (and
  their score, if the round shows scores).
"""

from enum import StrEnum

from django.db.models import Q

from kepu.core.permissions import Policy, covers, register
from kepu.core.roles import Role
from kepu.survey.models import LiteracyEstimate, Response, ResponseStatus, Round, RoundStatus
from kepu.survey.workflow import INTERVIEWER_ROLES, REVIEWER_ROLES


class RoundAction(StrEnum):
    VIEW = "view"
    MANAGE = "manage"
    TAKE = "take"
    INTERVIEW = "interview"
    VIEW_PROGRESS = "view_progress"
    VIEW_RESULTS = "view_results"
    #: Start a new round (the city office designs them).
    CREATE = "create"
    #: Answer rounds for oneself (a resident): the survey's home lists one's own questionnaires.
    RESPOND = "respond"
    #: Enter questionnaires for residents (an interviewer): the home lists one's entries.
    ENTER = "enter"
    #: Run a round from the office side (progress, review queue, results): the home links there.
    OVERSEE = "oversee"
    #: The population margins the weights are raked to (the city office imports and checks them).
    VIEW_MARGINS = "view_margins"


class ResponseAction(StrEnum):
    VIEW = "view"
    EDIT = "edit"
    REVIEW = "review"
    VIEW_SCORE = "view_score"
    #: The answer key, the score and who reviewed it: the offices, not the people who answered.
    VIEW_KEY = "view_key"
    #: The response is the actor's own answer (the page thanks them once it is submitted).
    ANSWERED_BY = "answered_by"


@register
class RoundPolicy(Policy):
    model = Round
    actions = RoundAction

    def scope(self, actor, queryset):
        if actor.is_city:
            return queryset
        if actor.role == Role.DISTRICT_ADMIN:
            return queryset.exclude(status=RoundStatus.DRAFT)
        if actor.role in INTERVIEWER_ROLES:
            return queryset.filter(status=RoundStatus.OPEN)
        if actor.role == Role.RESIDENT:
            # Open rounds to answer, and closed ones the resident answered (to see their score).
            return queryset.filter(
                Q(status=RoundStatus.OPEN) | Q(status=RoundStatus.CLOSED, responses__respondent=actor.user)
            ).distinct()
        return queryset.none()

    def can(self, actor, action, obj=None):
        if obj is None:
            return False
        if action == RoundAction.CREATE:
            return actor.is_city
        if action == RoundAction.RESPOND:
            return actor.role == Role.RESIDENT
        if action == RoundAction.ENTER:
            return actor.role in INTERVIEWER_ROLES
        if action == RoundAction.OVERSEE:
            return actor.role in REVIEWER_ROLES
        if action == RoundAction.VIEW_MARGINS:
            return actor.is_city
        if action == RoundAction.MANAGE:
            return actor.is_city and obj.status != RoundStatus.HISTORIC
        if action == RoundAction.VIEW:
            return self.scope(actor, Round.objects.filter(pk=obj.pk)).exists()
        if action == RoundAction.TAKE:
            return actor.role == Role.RESIDENT and obj.is_open
        if action == RoundAction.INTERVIEW:
            return actor.role in INTERVIEWER_ROLES and obj.is_open
        if action == RoundAction.VIEW_PROGRESS:
            return (
                actor.role in REVIEWER_ROLES
                and obj.status != RoundStatus.HISTORIC
                and (actor.is_city or obj.status != RoundStatus.DRAFT)
            )
        if action == RoundAction.VIEW_RESULTS:
            return actor.role in REVIEWER_ROLES and (actor.is_city or obj.status != RoundStatus.DRAFT)
        return False


@register
class ResponsePolicy(Policy):
    model = Response
    actions = ResponseAction

    def scope(self, actor, queryset):
        if actor.is_city:
            return queryset
        if actor.role == Role.DISTRICT_ADMIN and actor.area_path:
            return queryset.filter(place__path__startswith=actor.area_path)
        if actor.role in INTERVIEWER_ROLES:
            return queryset.filter(interviewer=actor.user)
        if actor.role == Role.RESIDENT:
            return queryset.filter(respondent=actor.user)
        return queryset.none()

    def can(self, actor, action, obj=None):
        if obj is None:
            return False
        if action == ResponseAction.VIEW:
            return self.scope(actor, Response.objects.filter(pk=obj.pk)).exists()
        if action == ResponseAction.EDIT:
            if obj.status != ResponseStatus.IN_PROGRESS or not obj.round.is_open:
                return False
            if actor.role == Role.RESIDENT:
                return obj.respondent_id == actor.user.pk and obj.interviewer_id is None
            if actor.role in INTERVIEWER_ROLES:
                return obj.interviewer_id == actor.user.pk
            return False
        if action == ResponseAction.REVIEW:
            return actor.role in REVIEWER_ROLES and covers(actor, obj.place.path)
        if action == ResponseAction.VIEW_KEY:
            return actor.role in REVIEWER_ROLES
        if action == ResponseAction.ANSWERED_BY:
            return actor.role == Role.RESIDENT and obj.respondent_id == actor.user.pk
        if action == ResponseAction.VIEW_SCORE:
            return (
                actor.role == Role.RESIDENT
                and obj.respondent_id == actor.user.pk
                and obj.round.show_score
                and obj.total_score is not None
            )
        return False


class EstimateAction(StrEnum):
    VIEW = "view"


@register
class EstimatePolicy(Policy):
    """Results: the city sees every group; a district office sees its own district's row."""

    model = LiteracyEstimate
    actions = EstimateAction

    def scope(self, actor, queryset):
        if actor.is_city:
            return queryset
        if actor.role == Role.DISTRICT_ADMIN and actor.place is not None:
            return queryset.filter(kind="district", level=actor.place.code)
        return queryset.none()

    def can(self, actor, action, obj=None):
        return (
            action == EstimateAction.VIEW
            and obj is not None
            and self.scope(actor, LiteracyEstimate.objects.filter(pk=obj.pk)).exists()
        )
