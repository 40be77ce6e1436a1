from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class AccountsConfig(AppConfig):
    name = "kepu.accounts"
    label = "accounts"
    verbose_name = _("People and roles")

    def ready(self):
        from django.utils.translation import gettext_lazy as _

        from kepu.accounts import permissions, seed  # noqa: F401
        from kepu.core.nav import register_nav
        from kepu.core.roles import STAFF_ROLES

        register_nav(_("People"), "accounts:people", STAFF_ROLES, order=80, hint=_("Staff, members and residents"))
