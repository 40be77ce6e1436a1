from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class OrgsConfig(AppConfig):
    name = "kepu.orgs"
    label = "orgs"
    verbose_name = _("Organizations")

    def ready(self):
        from django.utils.translation import gettext_lazy as _

        from kepu.core.nav import register_nav
        from kepu.core.roles import STAFF_ROLES
        from kepu.orgs import measures as figures
        from kepu.orgs import permissions, seed  # noqa: F401

        register_nav(_("Organizations"), "orgs:list", STAFF_ROLES, order=85, hint=_("Offices, units, teams, bases"))
        figures.register()
