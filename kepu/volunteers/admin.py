from django.contrib import admin

from kepu.core.admin import PolicyAdmin
from kepu.volunteers.models import Expert, HoursEntry, Need, Training, Volunteer
from kepu.volunteers.permissions import ExpertAction, OrgAction, VolunteerAction
from kepu.volunteers.search import index_experts


@admin.register(Volunteer)
class VolunteerAdmin(PolicyAdmin):
    view_action = VolunteerAction.VIEW
    change_action = VolunteerAction.CHANGE

    list_display = ("real_name", "masked_id_number", "masked_phone", "street", "anonymized_at")
    list_select_related = ("street",)
    search_fields = ("real_name",)
    fields = ("real_name", "masked_id_number", "masked_phone", "street", "skills", "topics", "anonymized_at")
    readonly_fields = fields


@admin.register(HoursEntry)
class HoursEntryAdmin(PolicyAdmin):
    view_action = OrgAction.VIEW

    list_display = ("served_on", "volunteer", "organization", "minutes", "source", "key")
    list_select_related = ("volunteer", "organization")
    list_filter = ("source",)

    def has_change_permission(self, request, obj=None):
        return False  # corrections are new entries, made through the organization's desk


@admin.register(Need)
class NeedAdmin(PolicyAdmin):
    view_action = OrgAction.VIEW

    list_display = ("title", "organization", "starts_at", "slots", "status")
    list_select_related = ("organization",)


@admin.register(Expert)
class ExpertAdmin(PolicyAdmin):
    view_action = ExpertAction.VIEW

    list_display = ("name", "field", "subfield", "district", "available", "is_emergency")
    list_select_related = ("district",)
    list_filter = ("field", "is_emergency", "available")
    search_fields = ("name", "affiliation")

    def save_model(self, request, obj, form, change):
        # The search index holds the expert's words, field, district and team: rewrite it with the row.
        obj.refresh_search()
        super().save_model(request, obj, form, change)
        index_experts([obj])


@admin.register(Training)
class TrainingAdmin(PolicyAdmin):
    view_action = OrgAction.VIEW

    list_display = ("title", "organization", "hours")
    list_select_related = ("organization",)
