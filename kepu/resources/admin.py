from django.contrib import admin

from kepu.core.admin import PolicyAdmin
from kepu.resources.models import Push, Resource
from kepu.resources.permissions import PushAction, ResourceAction


@admin.register(Resource)
class ResourceAdmin(PolicyAdmin):
    view_action = ResourceAction.VIEW

    list_display = ("title", "kind", "version", "status", "source_unit", "published_at")
    list_filter = ("status", "kind")
    search_fields = ("title",)

    def has_change_permission(self, request, obj=None):
        return False  # pieces change through the review workflow, never in the admin


@admin.register(Push)
class PushAdmin(PolicyAdmin):
    view_action = PushAction.VIEW

    list_display = ("resource", "audience", "status", "total", "sent", "opened", "created_at")
    list_filter = ("status", "audience")

    def has_change_permission(self, request, obj=None):
        return False
