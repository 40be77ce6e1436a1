"""Reads shared across apps: the audit trail."""

from enum import StrEnum

from django.db.models import QuerySet

from kepu.core.actor import Actor
from kepu.core.models import AuditEntry
from kepu.core.permissions import Policy, register, scope
from kepu.core.roles import OFFICE_ROLES


class AuditAction(StrEnum):
    VIEW = "view"
    #: The client addresses in the trail: personal data, for the city office only (it investigates).
    VIEW_IP = "view_ip"
    #: The state of the platform's background work (a stopped worker): the city office, which runs it.
    WATCH_PLATFORM = "watch_platform"


@register
class AuditPolicy(Policy):
    """Offices read the trail of their area; nobody changes it."""

    model = AuditEntry
    actions = AuditAction

    def scope(self, actor, queryset):
        if actor.is_city:
            return queryset
        if actor.role in OFFICE_ROLES and actor.area_path:
            return queryset.filter(place_path__startswith=actor.area_path)
        return queryset.none()

    def can(self, actor, action, obj=None):
        if action in (AuditAction.VIEW_IP, AuditAction.WATCH_PLATFORM):
            return actor.is_city
        return (
            action == AuditAction.VIEW
            and isinstance(obj, AuditEntry)
            and self.scope(actor, AuditEntry.objects.filter(pk=obj.pk)).exists()
        )


def audit_list(*, actor: Actor, action: str = "") -> QuerySet[AuditEntry]:
    qs = scope(actor, AuditEntry.objects.all())
    if action:
        qs = qs.filter(action__startswith=action)
    return qs.order_by("-at", "-id")
