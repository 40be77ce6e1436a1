"""The science library's audit codes in words."""

from django.utils.translation import gettext_lazy as _

from kepu.core.audit import register_audit_labels

register_audit_labels(
    _("Science resource"),
    {
        "kepu.resources.created": _("draft written"),
        "kepu.resources.edited": _("draft edited"),
        "kepu.resources.file_added": _("file added"),
        "kepu.resources.file_removed": _("file removed"),
        "kepu.resources.lesson_added": _("lesson added"),
        "kepu.resources.lesson_removed": _("lesson removed"),
        "kepu.resources.attached": _("attached to a page"),
        "kepu.resources.detached": _("taken off a page"),
        "kepu.resources.loan_requested": _("kit loan requested"),
        "kepu.resources.loan_lent": _("kit lent"),
        "kepu.resources.loan_refused": _("kit loan refused"),
        "kepu.resources.pushed": _("pushed to people"),
        "kepu.resources.push_resumed": _("push resumed"),
        "kepu.resources.subscriptions_changed": _("followed topics changed"),
    },
)
