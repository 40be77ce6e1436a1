"""Who may see and change places.

The tree itself is public reference data (a resident picks her community from it when she
registers), so everybody may read it. Changing it is for offices, inside their own area.
"""

from enum import StrEnum

from kepu.core.permissions import Policy, covers, register
from kepu.core.roles import Role
from kepu.places.models import Place


class PlaceAction(StrEnum):
    VIEW = "view"
    ADD_CHILD = "add_child"
    CHANGE = "change"


@register
class PlacePolicy(Policy):
    model = Place
    actions = PlaceAction

    def can(self, actor, action, obj=None):
        if action == PlaceAction.VIEW:
            return True
        if action in (PlaceAction.ADD_CHILD, PlaceAction.CHANGE):
            if actor.is_city:
                return True
            # A district office keeps its streets and communities; a street office its communities.
            return (
                actor.has_role(Role.DISTRICT_ADMIN, Role.STREET_STAFF)
                and covers(actor, obj.path)
                and (action == PlaceAction.ADD_CHILD or obj.path != actor.area_path)
            )
        return False

    def scope(self, actor, queryset):
        return queryset
