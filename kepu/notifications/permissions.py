"""A person reads and marks only their own notifications."""

from kepu.core.permissions import Policy, register
from kepu.notifications.models import Notification, WeChatBinding


@register
class NotificationPolicy(Policy):
    model = Notification

    def scope(self, actor, queryset):
        return queryset.filter(recipient_id=actor.user.pk)

    def can(self, actor, action, obj=None):
        return action in ("view", "mark_read") and obj is not None and obj.recipient_id == actor.user.pk


@register
class WeChatBindingPolicy(Policy):
    """A person binds and unbinds only their own account; nobody else sees the openid."""

    model = WeChatBinding

    def scope(self, actor, queryset):
        return queryset.filter(user_id=actor.user.pk)

    def can(self, actor, action, obj=None):
        return (
            action in ("view", "bind", "unbind")
            and actor.is_authenticated
            and obj is not None
            and obj.user_id == actor.user.pk
        )
