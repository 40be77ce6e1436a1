from django.contrib import admin

from kepu.activities.models import Activity, Registration, Theme, ThemeOccurrence, Venue
from kepu.activities.permissions import ActivityAction, RegistrationAction, VenueAction
from kepu.core.admin import PolicyAdmin, ReferenceAdmin


@admin.register(Activity)
class ActivityAdmin(PolicyAdmin):
    view_action = ActivityAction.VIEW

    list_display = ("title", "organization", "kind", "status", "starts_at")
    list_filter = ("status", "kind")
    search_fields = ("title",)


@admin.register(Registration)
class RegistrationAdmin(PolicyAdmin):
    view_action = RegistrationAction.VIEW

    list_display = ("name", "session", "status", "head_count", "checked_in_at")
    list_filter = ("status",)


@admin.register(Venue)
class VenueAdmin(PolicyAdmin):
    view_action = VenueAction.VIEW
    change_action = VenueAction.MANAGE

    list_display = ("name", "organization", "slot_capacity")


class ThemeOccurrenceInline(admin.TabularInline):
    model = ThemeOccurrence
    extra = 1


@admin.register(Theme)
class ThemeAdmin(ReferenceAdmin):
    """The theme calendar is reference data the city office maintains."""

    keep_action = ActivityAction.KEEP_CALENDAR
    keep_model = Activity

    list_display = ("name", "rule", "month", "day", "duration_days", "is_active")
    inlines = [ThemeOccurrenceInline]
