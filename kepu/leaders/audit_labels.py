"""The leaders' app's audit codes in words."""

from django.utils.translation import gettext_lazy as _

from kepu.core.audit import register_audit_labels

register_audit_labels(
    _("One-page overview"),
    {
        "kepu.leaders.report_written": _("monthly report written"),
    },
)
