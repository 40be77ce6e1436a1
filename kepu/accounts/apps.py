from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class AccountsConfig(AppConfig):
    name = "kepu.accounts"
    label = "accounts"
    verbose_name = _("People and roles")

    def ready(self):
        from django.utils.translation import gettext_lazy as _

        from kepu.accounts import lockout, permissions, seed  # noqa: F401
        from kepu.accounts import measures as figures
        from kepu.core.nav import register_nav
        from kepu.core.roles import STAFF_ROLES

        register_nav(_("People"), "accounts:people", STAFF_ROLES, order=80, hint=_("Staff, members and residents"))

        from kepu.accounts import selectors as personal
        from kepu.core.personal_data import register_exporter

        register_exporter("accounts", personal.personal_data)

        from kepu.accounts import tasks  # noqa: F401 - registers the periodic tasks
        from kepu.accounts.services import api_token_authenticate, set_elder_mode
        from kepu.core import hooks

        hooks.provide(hooks.AUTHENTICATE_API_TOKEN, api_token_authenticate)
        hooks.provide(hooks.SET_ELDER_MODE, set_elder_mode)
        figures.register()

        from kepu.accounts import holders

        holders.connect()
