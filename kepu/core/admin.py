"""The admin goes through the same policies as the web and the API."""

from django.contrib import admin

from kepu.core.models import AuditEntry
from kepu.core.permissions import can, scope
from kepu.core.selectors import AuditAction


class PolicyAdmin(admin.ModelAdmin):
    """Rows and rights in the admin come from the app's policy, never from Django's model permissions.

    Each admin names the policy's actions that mean "see one" and "change one" here (``None``: not in
    the admin). Entering the admin site at all is Django's own gate (``is_staff``), asked only here."""

    view_action = None
    change_action = None

    def get_queryset(self, request):
        return scope(request.actor, super().get_queryset(request))

    def has_module_permission(self, request):
        return request.actor.is_authenticated and request.user.is_staff

    def has_view_permission(self, request, obj=None):
        if obj is None:
            return self.has_module_permission(request)
        return (
            self.has_module_permission(request)
            and self.view_action is not None
            and can(request.actor, self.view_action, obj)
        )

    def has_change_permission(self, request, obj=None):
        return (
            self.has_module_permission(request)
            and obj is not None
            and self.change_action is not None
            and can(request.actor, self.change_action, obj)
        )

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


class ReferenceAdmin(admin.ModelAdmin):
    """Reference data (a calendar, a rubric) kept in the admin by those the app's policy names:
    ``keep_action`` asked of ``keep_model``. Deleting is left to each admin."""

    keep_action = None
    keep_model = None

    def keeps(self, request) -> bool:
        return bool(
            request.actor.is_authenticated
            and request.user.is_staff
            and self.keep_action is not None
            and can(request.actor, self.keep_action, self.keep_model)
        )

    def has_module_permission(self, request):
        return self.keeps(request)

    def has_view_permission(self, request, obj=None):
        return self.keeps(request)

    def has_change_permission(self, request, obj=None):
        return self.keeps(request)

    def has_add_permission(self, request, obj=None):
        return self.keeps(request)


@admin.register(AuditEntry)
class AuditEntryAdmin(PolicyAdmin):
    view_action = AuditAction.VIEW
    list_display = ("at", "actor_name", "role", "action", "object_repr", "ip")
    list_filter = ("action",)
    search_fields = ("action", "object_repr", "actor_name")

    def has_change_permission(self, request, obj=None):
        return False
