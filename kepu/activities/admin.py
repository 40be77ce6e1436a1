from django.contrib import admin

from kepu.activities.models import Activity, Registration, Theme, ThemeOccurrence, Venue
from kepu.core.admin import PolicyAdmin


@admin.register(Activity)
class ActivityAdmin(PolicyAdmin):
    list_display = ("title", "organization", "kind", "status", "starts_at")
    list_filter = ("status", "kind")
    search_fields = ("title",)


@admin.register(Registration)
class RegistrationAdmin(PolicyAdmin):
    list_display = ("name", "session", "status", "head_count", "checked_in_at")
    list_filter = ("status",)


@admin.register(Venue)
class VenueAdmin(PolicyAdmin):
    list_display = ("name", "organization", "slot_capacity")


class ThemeOccurrenceInline(admin.TabularInline):
    model = ThemeOccurrence
    extra = 1


@admin.register(Theme)
class ThemeAdmin(admin.ModelAdmin):
    """The theme calendar is reference data the city office maintains."""

    list_display = ("name", "rule", "month", "day", "duration_days", "is_active")
    inlines = [ThemeOccurrenceInline]

    def has_module_permission(self, request):
        return request.actor.is_city and request.user.is_staff

    has_view_permission = has_change_permission = has_add_permission = lambda self, request, obj=None: (
        self.has_module_permission(request)
    )
