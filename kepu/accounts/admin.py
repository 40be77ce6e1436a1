from django.contrib import admin

from kepu.accounts.models import Membership, User
from kepu.accounts.permissions import PersonAction
from kepu.core.admin import PolicyAdmin


@admin.register(User)
class UserAdmin(PolicyAdmin):
    view_action = PersonAction.VIEW

    list_display = ("username", "name", "masked_phone", "is_active")
    search_fields = ("username", "name")
    fields = ("username", "name", "is_active", "elder_mode")
    readonly_fields = ("username",)


@admin.register(Membership)
class MembershipAdmin(PolicyAdmin):
    list_display = ("user", "organization", "role", "is_active")
    list_filter = ("role", "is_active")
    list_select_related = ("user", "organization")
    readonly_fields = ("user", "organization", "role")
