from django.contrib import admin

from kepu.core.admin import PolicyAdmin
from kepu.orders.models import Order, OrderEvent, ServiceItem
from kepu.orders.permissions import MenuAction, OrderAction


class OrderEventInline(admin.TabularInline):
    model = OrderEvent
    extra = 0
    can_delete = False
    fields = ("at", "action", "from_status", "to_status", "actor_name", "actor_org", "reason")
    readonly_fields = fields

    def has_add_permission(self, request, obj=None):
        return False


@admin.register(Order)
class OrderAdmin(PolicyAdmin):
    """Read-only: every change of an order goes through the workflow services."""

    view_action = OrderAction.VIEW
    list_display = ("number", "title", "status", "community", "unit", "provider", "due_at", "overdue")
    list_filter = ("status", "overdue")
    search_fields = ("number", "title")
    list_select_related = ("community", "unit", "provider")
    exclude = ("contact_phone",)
    inlines = [OrderEventInline]

    def has_change_permission(self, request, obj=None):
        return False


@admin.register(ServiceItem)
class ServiceItemAdmin(PolicyAdmin):
    view_action = MenuAction.VIEW
    change_action = MenuAction.CHANGE

    list_display = ("title", "kind", "topic", "provider", "district", "is_active")
    list_select_related = ("provider", "district")
