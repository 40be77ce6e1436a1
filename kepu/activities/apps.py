from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _
from django.utils.translation import pgettext_lazy


class ActivitiesConfig(AppConfig):
    name = "kepu.activities"
    label = "activities"
    verbose_name = _("Activities")

    def ready(self):
        from kepu.activities import permissions, seed, tasks  # noqa: F401
        from kepu.activities.receivers import connect_orders
        from kepu.core.nav import register_nav
        from kepu.core.roles import OFFICE_ROLES, STAFF_ROLES, Role

        connect_orders()
        from kepu.activities import leader_figures

        leader_figures.register()
        from kepu.activities.media import register as register_media

        register_media()
        from kepu.activities import measures

        measures.register()
        register_nav(_("Activities"), "activities:calendar", set(Role), order=30, hint=_("Find and sign up"))
        register_nav(
            _("My sign-ups"),
            "activities:mine",
            {Role.RESIDENT, Role.VOLUNTEER, Role.EXPERT},
            order=31,
            hint=_("Tickets and waiting list"),
        )
        register_nav(
            _("Our activities"), "activities:manage", STAFF_ROLES, order=32, hint=_("Publish, sign-ups, check-in")
        )
        register_nav(
            _("Activity figures"), "activities:dashboard", STAFF_ROLES, order=33, hint=_("Sessions and person-times")
        )
        register_nav(
            _("Visit booking"),
            "activities:venues",
            {Role.BASE_STAFF, Role.ORG_STAFF, Role.UNIT_STAFF},
            order=35,
            hint=_("Opening hours and timed slots"),
        )
        register_nav(
            _("Theme calendar"),
            "activities:themes",
            OFFICE_ROLES | {Role.STREET_STAFF},
            order=34,
            hint=_("What the area does per theme"),
        )
        self.register_home()

        from kepu.activities import selectors as personal
        from kepu.core.personal_data import register_exporter

        register_exporter("activities", personal.personal_data)

    def register_home(self):
        """The activities' part of the home pages: the 活动 tab, cards, this week near me, tickets, to-dos."""
        from kepu.activities import selectors
        from kepu.core.home import ANONYMOUS, NO_ROLE, register_card, register_panel, register_todos
        from kepu.core.nav import register_tab
        from kepu.core.roles import PUBLIC_ROLES, STAFF_ROLES

        public = {ANONYMOUS, NO_ROLE, *PUBLIC_ROLES}
        register_tab(
            pgettext_lazy("tab", "Activities"),
            "activities:calendar",
            icon="calendar",
            order=20,
            prefixes=("/activities/",),
        )
        register_card(
            _("Science activities"),
            "activities:calendar",
            icon="calendar",
            audience=public,
            hint=_("What is on near you; sign up online"),
            order=20,
        )
        register_card(
            _("My tickets"),
            "activities:mine",
            icon="ticket",
            audience={NO_ROLE, *PUBLIC_ROLES},
            hint=_("Sign-ups, waiting list, QR code"),
            order=40,
        )
        register_panel(
            "activities-tickets",
            "activities/_panel_tickets.html",
            selectors.my_next_tickets,
            audience=public - {ANONYMOUS},
            order=5,
        )
        register_panel(
            "activities-week", "activities/_panel_week.html", selectors.this_week_near, audience=public, order=30
        )
        register_todos(selectors.resident_todos, {NO_ROLE, *PUBLIC_ROLES})
        register_todos(selectors.worker_todos, STAFF_ROLES)
