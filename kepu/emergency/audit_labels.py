"""Emergency communication's audit codes in words (the workflows' transitions get theirs from their labels)."""

from django.utils.translation import gettext_lazy as _

from kepu.core.audit import register_audit_labels

register_audit_labels(
    _("Emergency"),
    {
        "kepu.emergency.pack_created": _("pack prepared"),
        "kepu.emergency.pack_changed": _("pack changed"),
        "kepu.emergency.pack_override": _("pack past its review date sent, with a reason"),
        "kepu.emergency.feed_received": _("warning received from the feed"),
        "kepu.emergency.checklist_ticked": _("checklist task done"),
        "kepu.emergency.checklist_unticked": _("checklist task undone"),
        "kepu.emergency.expert_called": _("expert of the team called"),
        "kepu.emergency.question_asked": _("question asked"),
        "kepu.emergency.question_answered": _("question answered"),
        "kepu.emergency.fast_track": _("piece sent to fast-track review"),
        "kepu.emergency.fast_track_escalated": _("fast-track review overdue, passed to the next expert"),
        "kepu.emergency.fast_track_unanswered": _("fast-track review overdue, nobody left on the team"),
        "kepu.emergency.questions_erased": _("a person's questions erased at their request"),
    },
)
