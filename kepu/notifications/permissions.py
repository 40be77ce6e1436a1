"""A person reads and marks only their own notifications."""

from enum import StrEnum

from kepu.core.permissions import Policy, register
from kepu.notifications.models import Notification, WeChatBinding


class NotificationAction(StrEnum):
    VIEW = "view"
    MARK_READ = "mark_read"


class BindingAction(StrEnum):
    VIEW = "view"
    BIND = "bind"
    UNBIND = "unbind"


@register
class NotificationPolicy(Policy):
    model = Notification
    actions = NotificationAction

    def scope(self, actor, queryset):
        return queryset.filter(recipient_id=actor.user.pk)

    def can(self, actor, action, obj=None):
        return (
            action in (NotificationAction.VIEW, NotificationAction.MARK_READ)
            and obj is not None
            and obj.recipient_id == actor.user.pk
        )


@register
class WeChatBindingPolicy(Policy):
    """A person binds and unbinds only their own account; nobody else sees the openid."""

    model = WeChatBinding
    actions = BindingAction

    def scope(self, actor, queryset):
        return queryset.filter(user_id=actor.user.pk)

    def can(self, actor, action, obj=None):
        return (
            action in (BindingAction.VIEW, BindingAction.BIND, BindingAction.UNBIND)
            and actor.is_authenticated
            and obj is not None
            and obj.user_id == actor.user.pk
        )
