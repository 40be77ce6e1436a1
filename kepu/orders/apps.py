from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _
from django.utils.translation import pgettext_lazy


class OrdersConfig(AppConfig):
    name = "kepu.orders"
    label = "orders"
    verbose_name = _("Service orders")

    def ready(self):
        from kepu.core.nav import register_nav
        from kepu.core.roles import Role
        from kepu.orders import leader_figures, measures, permissions, seed, tasks  # noqa: F401 - policies, seeder

        measures.register()
        leader_figures.register()

        parties = {
            Role.RESIDENT,
            Role.COMMUNITY_STAFF,
            Role.STREET_STAFF,
            Role.UNIT_STAFF,
            Role.VOLUNTEER_ORG_STAFF,
            Role.EXPERT,
            Role.VOLUNTEER,
            Role.DISTRICT_ADMIN,
            Role.CITY_ADMIN,
        }
        register_nav(_("Service orders"), "orders:list", parties, order=10, hint=_("Order, dispatch, claim, deliver"))
        register_nav(
            _("Order a service"),
            "orders:create",
            {Role.RESIDENT, Role.COMMUNITY_STAFF, Role.STREET_STAFF},
            order=11,
            hint=_("From the menu or in your own words"),
        )
        register_nav(_("Service menu"), "orders:menu", parties, order=12, hint=_("What can be ordered"))
        register_nav(
            _("Three rates"),
            "orders:dashboard",
            {Role.COMMUNITY_STAFF, Role.STREET_STAFF, Role.DISTRICT_ADMIN, Role.CITY_ADMIN, Role.UNIT_STAFF},
            order=13,
            hint=_("Response, completion and satisfaction"),
        )
        self.register_home(parties)

        from kepu.core.personal_data import register_exporter
        from kepu.orders import selectors as personal

        register_exporter("orders", personal.personal_data)

    def register_home(self, parties):
        """The orders' part of the home pages: the 点单 tab, the cards, my orders, and the to-dos."""
        from kepu.core.home import ANONYMOUS, NO_ROLE, register_card, register_panel, register_todos
        from kepu.core.nav import register_tab
        from kepu.core.roles import PUBLIC_ROLES
        from kepu.orders import selectors

        public = {ANONYMOUS, NO_ROLE, *PUBLIC_ROLES}
        register_tab(pgettext_lazy("tab", "Order"), "orders:create", icon="order", order=30, prefixes=("/orders/",))
        register_card(
            _("Book a science service"),
            "orders:create",
            icon="order",
            audience=public,
            hint=_("A talk, an exhibition or advice, in your community"),
            order=10,
        )
        register_card(
            _("My bookings"),
            "orders:list",
            icon="list",
            audience={NO_ROLE, *PUBLIC_ROLES},
            hint=_("Progress and rating"),
            order=30,
        )
        register_card(
            _("Service menu"), "orders:menu", icon="book", audience=public, hint=_("What can be booked"), order=60
        )
        register_panel(
            "orders-mine",
            "orders/_resident_panel.html",
            selectors.resident_panel,
            audience=public - {ANONYMOUS},
            order=10,
        )
        register_todos(selectors.resident_todos, {NO_ROLE, *PUBLIC_ROLES})
        register_todos(selectors.worker_todos, parties - PUBLIC_ROLES)
