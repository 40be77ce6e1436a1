from django.contrib import admin

from kepu.core.admin import PolicyAdmin
from kepu.emergency.models import Event, Hazard, Pack
from kepu.emergency.permissions import EventAction, HazardAction, PackAction


@admin.register(Hazard)
class HazardAdmin(PolicyAdmin):
    view_action = HazardAction.VIEW

    list_display = ("name", "code", "expert_field", "position", "active")


@admin.register(Pack)
class PackAdmin(PolicyAdmin):
    view_action = PackAction.VIEW

    list_display = ("title", "hazard", "status", "review_by")

    def has_change_permission(self, request, obj=None):
        return False  # packs change through their services and workflow


@admin.register(Event)
class EventAdmin(PolicyAdmin):
    view_action = EventAction.VIEW

    list_display = ("title", "level", "status", "starts_at")

    def has_change_permission(self, request, obj=None):
        return False
