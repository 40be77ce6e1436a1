"""The orgs app's audit codes in words."""

from django.utils.translation import gettext_lazy as _
from django.utils.translation import pgettext_lazy

from kepu.core.audit import register_audit_labels

register_audit_labels(
    pgettext_lazy("audit", "Organization"), {"kepu.orgs.created": _("created"), "kepu.orgs.updated": _("changed")}
)
