"""The activities app's audit codes in words."""

from django.utils.translation import gettext_lazy as _

from kepu.core.audit import register_audit_labels

register_audit_labels(
    _("Activity"),
    {
        "kepu.activities.created": _("created"),
        "kepu.activities.changed": _("changed"),
        "kepu.activities.co_organizers_set": _("co-organizers set"),
        "kepu.activities.submitted": _("sent for review"),
        "kepu.activities.approved": _("approved"),
        "kepu.activities.rejected": _("sent back"),
        "kepu.activities.published": _("published"),
        "kepu.activities.cancelled": _("cancelled"),
        "kepu.activities.session_added": _("session added"),
        "kepu.activities.capacity_changed": _("places changed"),
        "kepu.activities.photo_added": _("photo added"),
        "kepu.activities.report_saved": _("report saved"),
        "kepu.activities.review_setting_changed": _("review before publication turned on or off"),
        "kepu.activities.walk_in": _("walk-in recorded"),
        "kepu.activities.walk_in_late": _("walk-in entered late, with a reason (补登)"),
        "kepu.activities.checkin_imported": _("check-in list imported"),
        "kepu.activities.checkin_list_exported": _("check-in list downloaded"),
        "kepu.activities.survey_answered": _("satisfaction survey answered"),
    },
)
register_audit_labels(
    _("Sign-up"),
    {
        "kepu.activities.registration.created": _("signed up"),
        "kepu.activities.registration.approved": _("approved"),
        "kepu.activities.registration.rejected": _("not approved"),
        "kepu.activities.registration.cancelled": _("cancelled"),
        "kepu.activities.registration.checked_in": _("checked in"),
        "kepu.activities.registration.offered": _("freed place offered"),
        "kepu.activities.registration.offer_accepted": _("freed place taken"),
        "kepu.activities.registration.offer_lapsed": _("offer lapsed"),
    },
)
register_audit_labels(
    _("Visit venue"),
    {
        "kepu.activities.venue.created": _("created"),
        "kepu.activities.venue.slots_published": _("visit slots published"),
    },
)
