from django.contrib import admin

from kepu.core.admin import PolicyAdmin
from kepu.orgs.models import Organization
from kepu.orgs.permissions import OrgAction


@admin.register(Organization)
class OrganizationAdmin(PolicyAdmin):
    view_action = OrgAction.VIEW
    change_action = OrgAction.CHANGE

    list_display = ("name", "short_name", "kind", "place")
    list_filter = ("kind",)
    search_fields = ("name", "short_name")
    list_select_related = ("place",)
    readonly_fields = ("kind", "place", "parent")
