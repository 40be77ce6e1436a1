from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class NotificationsConfig(AppConfig):
    name = "kepu.notifications"
    label = "notifications"
    verbose_name = _("Notifications")

    def ready(self):
        from kepu.core.nav import register_nav
        from kepu.core.roles import Role
        from kepu.notifications import permissions  # noqa: F401 - registers the policy

        register_nav(_("Inbox"), "notifications:inbox", set(Role), order=5, hint=_("What needs you"))

        from kepu.core.nav import register_badge
        from kepu.notifications.selectors import unread_count

        register_badge("notifications:inbox", lambda actor: unread_count(actor=actor))

        from kepu.core.personal_data import register_exporter
        from kepu.notifications import selectors as personal

        register_exporter("notifications", personal.personal_data)
