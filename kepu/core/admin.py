"""The admin goes through the same policies as the web and the API."""

from django.contrib import admin

from kepu.core.models import AuditEntry
from kepu.core.permissions import can, scope


class PolicyAdmin(admin.ModelAdmin):
    """Rows and rights in the admin come from the app's policy, never from Django's model permissions."""

    def get_queryset(self, request):
        return scope(request.actor, super().get_queryset(request))

    def has_module_permission(self, request):
        return request.actor.is_authenticated and request.user.is_staff

    def has_view_permission(self, request, obj=None):
        return self.has_module_permission(request) and (obj is None or can(request.actor, "view", obj))

    def has_change_permission(self, request, obj=None):
        return self.has_module_permission(request) and obj is not None and can(request.actor, "change", obj)

    def has_add_permission(self, request):
        return False  # creation goes through services, which audit it

    def has_delete_permission(self, request, obj=None):
        return False

    def save_model(self, request, obj, form, change):
        """A change in the admin is audited like one made through a service: who, what, which fields."""
        from kepu.core.audit import log_action

        super().save_model(request, obj, form, change)
        log_action(
            request.actor,
            f"kepu.{obj._meta.app_label}.admin_changed",
            obj,
            data={"fields": sorted(form.changed_data)},
        )


@admin.register(AuditEntry)
class AuditEntryAdmin(PolicyAdmin):
    list_display = ("at", "actor_name", "role", "action", "object_repr", "ip")
    list_filter = ("action",)
    search_fields = ("action", "object_repr", "actor_name")

    def has_change_permission(self, request, obj=None):
        return False
