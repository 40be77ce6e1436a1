from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class ActivitiesConfig(AppConfig):
    name = "kepu.activities"
    label = "activities"
    verbose_name = _("Activities")

    def ready(self):
        from kepu.activities import permissions, seed, tasks  # noqa: F401
        from kepu.activities.receivers import connect_orders, connect_own
        from kepu.core.nav import register_nav
        from kepu.core.roles import OFFICE_ROLES, STAFF_ROLES, Role

        connect_orders()
        connect_own()
        from kepu.activities import measures

        measures.register()
        register_nav(_("Activities"), "activities:calendar", set(Role), order=30, hint=_("Find and sign up"))
        register_nav(_("My sign-ups"), "activities:mine", {Role.RESIDENT, Role.VOLUNTEER, Role.EXPERT}, order=31,
                     hint=_("Tickets and waiting list"))
        register_nav(_("Our activities"), "activities:manage", STAFF_ROLES, order=32,
                     hint=_("Publish, sign-ups, check-in"))
        register_nav(_("Activity figures"), "activities:dashboard", STAFF_ROLES, order=33,
                     hint=_("Sessions and person-times"))
        register_nav(_("Visit booking"), "activities:venues", {Role.BASE_STAFF, Role.ORG_STAFF, Role.UNIT_STAFF},
                     order=35, hint=_("Opening hours and timed slots"))
        register_nav(_("Theme calendar"), "activities:themes", OFFICE_ROLES | {Role.STREET_STAFF}, order=34,
                     hint=_("What the area does per theme"))
