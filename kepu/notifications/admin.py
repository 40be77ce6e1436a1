from django.contrib import admin

from kepu.core.admin import PolicyAdmin
from kepu.notifications.models import Notification


@admin.register(Notification)
class NotificationAdmin(PolicyAdmin):
    list_display = ("created_at", "recipient", "kind", "title", "read_at")
    list_select_related = ("recipient",)
