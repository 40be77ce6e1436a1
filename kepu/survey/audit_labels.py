"""The survey app's audit codes in words."""

from django.utils.translation import gettext_lazy as _

from kepu.core.audit import register_audit_labels

register_audit_labels(
    _("Literacy survey"),
    {
        "kepu.survey.round_created": _("round created"),
        "kepu.survey.round_status": _("round opened or closed"),
        "kepu.survey.bank_imported": _("question bank imported"),
        "kepu.survey.sample_imported": _("sample imported"),
        "kepu.survey.margins_imported": _("population margins imported"),
        "kepu.survey.quota_set": _("quota set"),
        "kepu.survey.response_started": _("questionnaire started"),
        "kepu.survey.response_submitted": _("questionnaire submitted"),
        "kepu.survey.response_reviewed": _("questionnaire reviewed"),
        "kepu.survey.estimation_requested": _("estimation started"),
        "kepu.survey.estimation_failed": _("estimation failed"),
        "kepu.survey.results_published": _("results published"),
        "kepu.survey.historic_recorded": _("earlier result recorded"),
    },
)
