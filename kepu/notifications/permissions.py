"""A person reads and marks only their own notifications."""

from kepu.core.permissions import Policy, register
from kepu.notifications.models import Notification


@register
class NotificationPolicy(Policy):
    model = Notification

    def scope(self, actor, queryset):
        return queryset.filter(recipient_id=actor.user.pk)

    def can(self, actor, action, obj=None):
        return action in ("view", "mark_read") and obj is not None and obj.recipient_id == actor.user.pk
