"""Who may see and change organizations.

An office sees the organizations in its area; everybody else sees the organizations they
belong to. Creating and changing organizations is for the offices of the area.
"""

from enum import StrEnum

from django.db.models import Q

from kepu.core.permissions import Policy, covers, register
from kepu.core.roles import Role
from kepu.orgs.models import Organization


class OrgAction(StrEnum):
    VIEW = "view"
    CREATE = "create"
    CHANGE = "change"


@register
class OrganizationPolicy(Policy):
    model = Organization
    actions = OrgAction

    def scope(self, actor, queryset):
        if actor.is_city:
            return queryset
        own = Q(pk__in=actor.user.memberships.filter(is_active=True).values("organization_id"))
        if actor.area_path:
            return queryset.filter(Q(place__path__startswith=actor.area_path) | own)
        return queryset.filter(own)

    def can(self, actor, action, obj=None):
        if action == OrgAction.VIEW:
            return self.scope(actor, Organization.objects.filter(pk=obj.pk)).exists()
        if action in (OrgAction.CREATE, OrgAction.CHANGE):
            # obj is the organization (CHANGE) or an unsaved one carrying its place (CREATE).
            if actor.is_city:
                return True
            return (
                actor.has_role(Role.DISTRICT_ADMIN, Role.STREET_STAFF)
                and covers(actor, obj.place.path)
                and (obj.pk != actor.organization_id)
            )
        return False
