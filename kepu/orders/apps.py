from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class OrdersConfig(AppConfig):
    name = "kepu.orders"
    label = "orders"
    verbose_name = _("Service orders")

    def ready(self):
        from kepu.core.nav import register_nav
        from kepu.core.roles import Role
        from kepu.orders import measures, permissions, seed, tasks  # noqa: F401 - policies, seeder, periodic task

        measures.register()

        parties = {Role.RESIDENT, Role.COMMUNITY_STAFF, Role.STREET_STAFF, Role.UNIT_STAFF, Role.VOLUNTEER_ORG_STAFF,
                   Role.EXPERT, Role.VOLUNTEER, Role.DISTRICT_ADMIN, Role.CITY_ADMIN}
        register_nav(_("Service orders"), "orders:list", parties, order=10, hint=_("Order, dispatch, claim, deliver"))
        register_nav(_("Order a service"), "orders:create", {Role.RESIDENT, Role.COMMUNITY_STAFF, Role.STREET_STAFF},
                     order=11, hint=_("From the menu or in your own words"))
        register_nav(_("Service menu"), "orders:menu", parties, order=12, hint=_("What can be ordered"))
        register_nav(_("Three rates"), "orders:dashboard",
                     {Role.COMMUNITY_STAFF, Role.STREET_STAFF, Role.DISTRICT_ADMIN, Role.CITY_ADMIN, Role.UNIT_STAFF},
                     order=13, hint=_("Response, completion and satisfaction"))
