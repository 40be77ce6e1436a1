"""The statistics' audit codes in words."""

from django.utils.translation import gettext_lazy as _

from kepu.core.audit import register_audit_labels

register_audit_labels(
    _("Statistics"),
    {
        "kepu.statistics.edition_loaded": _("indicator edition loaded"),
        "kepu.statistics.year_opened": _("reporting year opened"),
        "kepu.statistics.values_changed": _("figures changed, with a reason"),
        "kepu.statistics.note_set": _("warning explained"),
        "kepu.statistics.note_cleared": _("explanation removed"),
    },
)
