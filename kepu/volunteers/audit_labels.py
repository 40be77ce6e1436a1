"""The volunteers app's audit codes in words."""

from django.utils.translation import gettext_lazy as _

from kepu.core.audit import register_audit_labels

register_audit_labels(
    _("Volunteer"),
    {
        "kepu.volunteers.registered": _("registered under their real name"),
        "kepu.volunteers.changed": _("profile changed"),
        "kepu.volunteers.anonymized": _("anonymized"),
        "kepu.volunteers.id_confirmed": _("ID number confirmed by the person"),
        "kepu.volunteers.id_reclaimed": _("ID number entered by an import taken back by its holder"),
        "kepu.volunteers.pii_viewed": _("ID number or phone viewed"),
        "kepu.volunteers.join_requested": _("asked to join an organization"),
        "kepu.volunteers.join_approved": _("join request approved"),
        "kepu.volunteers.join_rejected": _("join request rejected"),
        "kepu.volunteers.need_posted": _("need for volunteers posted"),
        "kepu.volunteers.signed_up": _("signed up for a need"),
        "kepu.volunteers.signup_confirmed": _("sign-up confirmed"),
        "kepu.volunteers.signup_standby": _("sign-up on standby"),
        "kepu.volunteers.signup_rejected": _("sign-up not taken"),
        "kepu.volunteers.signup_withdrawn": _("sign-up withdrawn"),
        "kepu.volunteers.standby_promoted": _("moved up from standby"),
        "kepu.volunteers.signed_in": _("signed in at the place of service"),
        "kepu.volunteers.signed_out": _("signed out at the place of service"),
        "kepu.volunteers.hours_credited": _("service hours credited"),
        "kepu.volunteers.hours_reported": _("service hours reported"),
        "kepu.volunteers.report_approved": _("reported hours approved"),
        "kepu.volunteers.report_rejected": _("reported hours rejected"),
        "kepu.volunteers.hours_exported": _("hours downloaded"),
        "kepu.volunteers.members_exported": _("member list downloaded"),
        "kepu.volunteers.certificate_issued": _("hours certificate issued"),
        "kepu.volunteers.import_started": _("import started"),
        "kepu.volunteers.import_rerun": _("interrupted import run again"),
        "kepu.volunteers.imported": _("volunteers imported"),
        "kepu.volunteers.training_created": _("training created"),
        "kepu.volunteers.training_session_created": _("training session added"),
        "kepu.volunteers.training_attended": _("training attended"),
    },
)
register_audit_labels(
    _("Expert"),
    {
        "kepu.volunteers.expert.created": _("added to the expert library"),
        "kepu.volunteers.expert.imported": _("experts imported"),
        "kepu.volunteers.expert.invited": _("invited"),
        "kepu.volunteers.expert.invitation_outcome": _("answer to an invitation recorded"),
        "kepu.volunteers.expert.pii_viewed": _("phone viewed"),
    },
)
