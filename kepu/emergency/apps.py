from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class EmergencyConfig(AppConfig):
    name = "kepu.emergency"
    label = "emergency"
    verbose_name = _("Emergency science communication")

    def ready(self):
        from kepu.core.nav import register_nav
        from kepu.core.roles import Role
        from kepu.emergency import measures, permissions, seed, tasks  # noqa: F401 - policies, seeder, periodic tasks

        measures.register()
        from kepu.emergency import leader_figures

        leader_figures.register()
        from kepu.core.home import register_todos
        from kepu.emergency.selectors import worker_todos

        register_todos(worker_todos, {Role.COMMUNITY_STAFF, Role.EXPERT})
        from kepu.core.personal_data import register_eraser, register_exporter
        from kepu.emergency import selectors, services

        register_exporter("emergency", selectors.personal_data)
        register_eraser("emergency", services.erase_personal_data)

        register_nav(
            _("Emergencies"),
            "emergency:list",
            {Role.DISTRICT_ADMIN, Role.CITY_ADMIN, Role.STREET_STAFF, Role.COMMUNITY_STAFF},
            order=30,
            hint=_("Warnings, guidance, reach"),
        )
        register_nav(_("Emergency duty"), "emergency:duty", {Role.EXPERT}, order=30, hint=_("Calls and questions"))
