from django.contrib import admin

from kepu.core.admin import PolicyAdmin
from kepu.survey.models import Response, Round
from kepu.survey.permissions import ResponseAction, RoundAction


@admin.register(Round)
class RoundAdmin(PolicyAdmin):
    view_action = RoundAction.VIEW

    list_display = ("name", "year", "status", "rule")
    list_filter = ("status",)


@admin.register(Response)
class ResponseAdmin(PolicyAdmin):
    view_action = ResponseAction.VIEW

    list_display = ("pk", "round", "place", "status", "total_score", "literate")
    list_filter = ("status",)
    list_select_related = ("round", "place")
