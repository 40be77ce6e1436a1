from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class PlansConfig(AppConfig):
    name = "kepu.plans"
    label = "plans"
    verbose_name = _("Work plans")

    def ready(self):
        from kepu.core.nav import register_nav
        from kepu.core.roles import Role
        from kepu.plans import permissions, seed, tasks  # noqa: F401
        from kepu.plans.measures import register_foundation_measures

        register_foundation_measures()
        from kepu.plans import leader_figures

        leader_figures.register()
        register_nav(
            _("Work plans"),
            "plans:list",
            {Role.DISTRICT_ADMIN, Role.CITY_ADMIN},
            order=40,
            hint=_("Import, supervise and evaluate the year's work plan"),
        )
        register_nav(
            _("My plan tasks"),
            "plans:my_tasks",
            {Role.UNIT_STAFF, Role.STREET_STAFF},
            order=40,
            hint=_("Report progress on the tasks your unit is responsible for"),
        )

        from kepu.core.home import register_todos
        from kepu.plans import selectors

        register_todos(
            selectors.worker_todos, {Role.UNIT_STAFF, Role.STREET_STAFF, Role.DISTRICT_ADMIN, Role.CITY_ADMIN}
        )
