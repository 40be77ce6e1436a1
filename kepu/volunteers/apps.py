from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class VolunteersConfig(AppConfig):
    name = "kepu.volunteers"
    label = "volunteers"
    verbose_name = _("Volunteers and experts")

    def ready(self):
        from kepu.core.nav import register_nav
        from kepu.core.roles import STAFF_ROLES, Role
        from kepu.volunteers import measures, permissions, receivers, seed, tasks  # noqa: F401

        receivers.connect()
        measures.register()
        everyone = set(Role)
        register_nav(_("Volunteering"), "volunteers:me", everyone - STAFF_ROLES, order=40,
                     hint=_("Register, join a team, sign up, your hours and certificate"))
        register_nav(_("Volunteers"), "volunteers:org_home", {Role.VOLUNTEER_ORG_STAFF}, order=30,
                     hint=_("Members, join requests, needs, hours"))
        register_nav(_("Expert library"), "volunteers:experts", STAFF_ROLES, order=60,
                     hint=_("Find and invite experts, the emergency team"))
        register_nav(_("Volunteer hours"), "volunteers:hours_overview",
                     {Role.DISTRICT_ADMIN, Role.CITY_ADMIN, Role.STREET_STAFF}, order=65,
                     hint=_("Hours by volunteer organization"))
