"""The orders app's audit codes in words: one per transition of the workflow, and the rest."""

from django.utils.translation import gettext_lazy as _

from kepu.core.audit import register_audit_labels
from kepu.orders.workflow import TRANSITIONS

register_audit_labels(
    _("Service order"),
    {
        **{f"kepu.orders.{name}": t.label for name, t in TRANSITIONS.items()},
        "kepu.orders.submitted": _("placed"),
        "kepu.orders.escalated": _("escalated: overdue"),
        "kepu.orders.rate_reminded": _("resident reminded to rate"),
        "kepu.orders.photos_added": _("photos added"),
        "kepu.orders.contact_viewed": _("contact phone viewed"),
        "kepu.orders.menu_item_published": _("service put on the menu"),
        "kepu.orders.holiday_set": _("holiday calendar changed"),
        "kepu.orders.deadline_set": _("step deadline changed"),
    },
)
