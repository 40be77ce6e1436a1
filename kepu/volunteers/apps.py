from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class VolunteersConfig(AppConfig):
    name = "kepu.volunteers"
    label = "volunteers"
    verbose_name = _("Volunteers and experts")

    def ready(self):
        from kepu.core.nav import register_nav
        from kepu.core.roles import STAFF_ROLES, Role
        from kepu.volunteers import measures, permissions, receivers, seed, services, tasks  # noqa: F401

        receivers.connect()
        measures.register()
        from kepu.volunteers import leader_figures

        leader_figures.register()
        from kepu.accounts.services import register_invitation_check

        register_invitation_check(Role.VOLUNTEER, services.require_volunteer_profile)
        everyone = set(Role)
        register_nav(
            _("Volunteering"),
            "volunteers:me",
            everyone - STAFF_ROLES,
            order=40,
            hint=_("Register, join a team, sign up, your hours and certificate"),
        )
        register_nav(
            _("Volunteers"),
            "volunteers:org_home",
            {Role.VOLUNTEER_ORG_STAFF},
            order=30,
            hint=_("Members, join requests, needs, hours"),
        )
        register_nav(
            _("Expert library"),
            "volunteers:experts",
            STAFF_ROLES,
            order=60,
            hint=_("Find and invite experts, the emergency team"),
        )
        register_nav(
            _("Volunteer hours"),
            "volunteers:hours_overview",
            {Role.DISTRICT_ADMIN, Role.CITY_ADMIN, Role.STREET_STAFF},
            order=65,
            hint=_("Hours by volunteer organization"),
        )

        from kepu.core.home import ANONYMOUS, NO_ROLE, register_card, register_todos
        from kepu.core.roles import PUBLIC_ROLES
        from kepu.volunteers import selectors

        register_card(
            _("Volunteering"),
            "volunteers:me",
            icon="heart",
            audience={ANONYMOUS, NO_ROLE, *PUBLIC_ROLES},
            hint=_("Share what you know; your hours are recorded"),
            order=50,
        )
        register_todos(selectors.worker_todos, {Role.VOLUNTEER_ORG_STAFF})

        from kepu.core.personal_data import register_eraser, register_exporter
        from kepu.volunteers import selectors as personal

        register_exporter("volunteers", personal.personal_data)
        register_eraser("volunteers", personal.erase_personal_data)
