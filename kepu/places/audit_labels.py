"""The places app's audit codes in words."""

from django.utils.translation import gettext_lazy as _

from kepu.core.audit import register_audit_labels

register_audit_labels(
    _("Place in the tree"), {"kepu.places.created": _("created"), "kepu.places.imported": _("tree imported")}
)
