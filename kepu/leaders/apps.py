from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class LeadersConfig(AppConfig):
    name = "kepu.leaders"
    label = "leaders"
    verbose_name = _("One-page overview")

    def ready(self):
        from kepu.core.nav import register_nav
        from kepu.leaders import permissions, tasks  # noqa: F401 - policy, periodic task
        from kepu.leaders.permissions import VIEWER_ROLES

        register_nav(
            _("One-page overview"),
            "leaders:home",
            VIEWER_ROLES,
            order=5,
            hint=_("Key figures by place, monthly reports"),
        )
