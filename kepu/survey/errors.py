"""Errors of the survey, each with a stable code."""

from django.utils.translation import gettext_lazy as _

from kepu.core.errors import Conflict, DomainError  # noqa: F401 - Conflict for callers
from kepu.core.workflow import WrongState


class SurveyError(DomainError):
    code = "survey_invalid"


class RoundNotOpen(SurveyError):
    code = "survey_round_not_open"
    default_message = _("This survey round is not open.")


class NotInSample(SurveyError):
    code = "survey_not_in_sample"
    default_message = _("This community is not in the round's sample.")


class AlreadyAnswered(SurveyError):
    code = "survey_already_answered"
    default_message = _("You have already answered this round.")


class BadTransition(WrongState):
    code = "survey_bad_transition"
    default_message = _("This change is not possible in the current state.")


class ReasonRequired(SurveyError):
    code = "survey_reason_required"
    default_message = _("Give a reason when a response is not approved.")


class Incomplete(SurveyError):
    code = "survey_incomplete"
    default_message = _("Answer every question before submitting.")


class ImportInvalid(SurveyError):
    code = "survey_import_invalid"
    default_message = _("The file could not be imported; nothing was changed.")
