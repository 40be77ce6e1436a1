from django.contrib import admin

from kepu.core.admin import PolicyAdmin
from kepu.plans.models import Plan, PlanNode, ProgressReport
from kepu.plans.permissions import PlanAction


@admin.register(Plan)
class PlanAdmin(PolicyAdmin):
    view_action = PlanAction.VIEW

    list_display = ("title", "year", "owner", "status")
    list_filter = ("year", "status")


@admin.register(PlanNode)
class PlanNodeAdmin(PolicyAdmin):
    view_action = PlanAction.VIEW

    list_display = ("__str__", "plan", "kind", "lead_unit", "deadline")
    list_filter = ("kind",)

    def has_change_permission(self, request, obj=None):
        return False  # changes go through services.task_update, which audits them


@admin.register(ProgressReport)
class ProgressReportAdmin(PolicyAdmin):
    view_action = PlanAction.VIEW

    list_display = ("task", "organization", "percent", "value", "created_at")

    def has_change_permission(self, request, obj=None):
        return False
