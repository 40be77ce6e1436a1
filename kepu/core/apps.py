from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _
from django.utils.translation import pgettext_lazy


class CoreConfig(AppConfig):
    name = "kepu.core"
    label = "core"
    verbose_name = _("Core")

    def ready(self):
        from django.contrib.auth.signals import user_logged_in
        from django.db.backends.signals import connection_created
        from django.utils.module_loading import autodiscover_modules

        from kepu.core import checks  # noqa: F401 - registers the deployment checks
        from kepu.core.dbguard import register_sql_functions
        from kepu.core.middleware import keep_elder_mode_on_sign_in

        autodiscover_modules("audit_labels")  # each app's audit codes in words
        connection_created.connect(register_sql_functions, dispatch_uid="kepu.core.sql_functions")
        from kepu.core.metrics import count_connection

        connection_created.connect(count_connection, dispatch_uid="kepu.core.metrics.connections")
        user_logged_in.connect(keep_elder_mode_on_sign_in, dispatch_uid="kepu.keep_elder_mode")
        from kepu.core.nav import register_nav
        from kepu.core.roles import OFFICE_ROLES

        register_nav(_("Audit trail"), "core:audit", OFFICE_ROLES, order=95, hint=_("Who did what, and when"))

        from kepu.core.nav import register_tab

        # The resident's tab bar: 首页 · 活动 · 点单 · 我的 (活动 and 点单 come from their apps).
        register_tab(
            pgettext_lazy("tab", "Home"), "core:landing", icon="home", order=10, prefixes=("=/", "/home/", "/w/")
        )
        register_tab(
            pgettext_lazy("tab", "Me"),
            "accounts:profile",
            icon="user",
            order=40,
            prefixes=(
                "/accounts/me/",
                "/accounts/welcome/",
                "/inbox/",
                "/activities/mine/",
                "/activities/tickets/",
                "/volunteers/",
            ),
        )
