"""The plans app's audit codes in words."""

from django.utils.translation import gettext_lazy as _

from kepu.core.audit import register_audit_labels

register_audit_labels(
    _("Work plan"),
    {
        "kepu.plans.draft_created": _("document imported as a draft"),
        "kepu.plans.draft_discarded": _("draft discarded"),
        "kepu.plans.plan_created": _("created"),
        "kepu.plans.plan_published": _("published"),
        "kepu.plans.plan_closed": _("closed"),
        "kepu.plans.plan_reopened": _("reopened"),
        "kepu.plans.node_added": _("section or task added"),
        "kepu.plans.node_removed": _("section or task removed"),
        "kepu.plans.task_changed": _("task changed"),
        "kepu.plans.task_overdue": _("task overdue"),
        "kepu.plans.weights_changed": _("weights changed"),
        "kepu.plans.target_added": _("target added"),
        "kepu.plans.target_bound": _("target bound to a live figure"),
        "kepu.plans.milestone_added": _("milestone added"),
        "kepu.plans.progress_reported": _("progress reported"),
        "kepu.plans.report_marked": _("progress report marked"),
        "kepu.plans.reminder_sent": _("reminder sent"),
    },
)
