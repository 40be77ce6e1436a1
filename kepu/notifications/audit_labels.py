"""The notifications app's audit codes in words."""

from django.utils.translation import gettext_lazy as _

from kepu.core.audit import register_audit_labels

register_audit_labels(
    _("WeChat"),
    {
        "kepu.notifications.wechat_bound": _("account bound"),
        "kepu.notifications.wechat_unbound": _("account unbound"),
        "kepu.notifications.wechat_moved": _("binding moved to another account"),
    },
)
