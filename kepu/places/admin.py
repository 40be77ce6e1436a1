from django.contrib import admin

from kepu.core.admin import PolicyAdmin
from kepu.places.models import Place
from kepu.places.permissions import PlaceAction


@admin.register(Place)
class PlaceAdmin(PolicyAdmin):
    view_action = PlaceAction.VIEW
    change_action = PlaceAction.CHANGE

    list_display = ("name", "code", "level", "path")
    list_filter = ("level",)
    search_fields = ("name", "code")
    readonly_fields = ("code", "level", "parent", "path", "district_code")
