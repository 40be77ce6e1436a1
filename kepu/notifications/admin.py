from django.contrib import admin

from kepu.core.admin import PolicyAdmin
from kepu.notifications.models import Notification
from kepu.notifications.permissions import NotificationAction


@admin.register(Notification)
class NotificationAdmin(PolicyAdmin):
    view_action = NotificationAction.VIEW

    list_display = ("created_at", "recipient", "kind", "title", "read_at")
    list_select_related = ("recipient",)
    ordering = ("-id",)  # the newest first by the primary key: created_at carries no index
