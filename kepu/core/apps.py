from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class CoreConfig(AppConfig):
    name = "kepu.core"
    label = "core"
    verbose_name = _("Core")

    def ready(self):
        from kepu.core import tasks  # noqa: F401 - registers the periodic tasks
        from kepu.core.nav import register_nav
        from kepu.core.roles import OFFICE_ROLES

        register_nav(_("Audit trail"), "core:audit", OFFICE_ROLES, order=95, hint=_("Who did what, and when"))
