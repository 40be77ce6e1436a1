"""The accounts app's audit codes in words (see ``kepu.core.audit.register_audit_labels``)."""

from django.utils.translation import gettext_lazy as _

from kepu.core.audit import register_audit_labels

register_audit_labels(
    _("Person"),
    {
        "kepu.accounts.person.registered": _("registered with a phone number"),
        "kepu.accounts.person.consented": _("agreed to the user agreement and privacy policy"),
        "kepu.accounts.person.profile_completed": _("gave name and community"),
        "kepu.accounts.person.key_population_changed": _("key population changed"),
        "kepu.accounts.person.pii_viewed": _("full phone number viewed"),
        "kepu.accounts.person.staff_created": _("staff account created"),
        "kepu.accounts.person.bulk_created": _("people imported"),
        "kepu.accounts.person.anonymized": _("anonymized"),
        "kepu.accounts.person.erasure_requested": _("asked for their data to be erased"),
        "kepu.accounts.person.data_downloaded": _("downloaded their data"),
    },
)
register_audit_labels(
    _("Role"), {"kepu.accounts.membership.created": _("given"), "kepu.accounts.membership.ended": _("ended")}
)
register_audit_labels(
    _("API token"), {"kepu.accounts.api_token.created": _("created"), "kepu.accounts.api_token.revoked": _("revoked")}
)
