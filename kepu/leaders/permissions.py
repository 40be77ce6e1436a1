"""Who may see the leaders' pages and reports (deny by default).

The city office sees every place; a district office its district and its streets; a street office its own
street. Nobody else (units, teams, communities, residents) sees these pages: they read the records of whole
areas. A place outside the viewer's area does not exist for them (404).
"""

from __future__ import annotations

from enum import StrEnum

from kepu.core.actor import Actor
from kepu.core.permissions import Policy, covers, register
from kepu.core.roles import Role
from kepu.leaders.models import MonthlyReport

VIEWER_ROLES = frozenset({Role.CITY_ADMIN, Role.DISTRICT_ADMIN, Role.STREET_STAFF})
#: The levels a page exists for (a community's figures are too small to lead by).
LEVELS = ("city", "district", "street")


def may_view(actor: Actor) -> bool:
    return actor.is_authenticated and actor.role in VIEWER_ROLES


def sees_place(actor: Actor, place) -> bool:
    return may_view(actor) and place is not None and place.level in LEVELS and covers(actor, place.path)


class ReportAction(StrEnum):
    VIEW = "view"


@register
class ReportPolicy(Policy):
    model = MonthlyReport
    actions = ReportAction

    def can(self, actor: Actor, action: str, obj) -> bool:
        return action == ReportAction.VIEW and may_view(actor) and covers(actor, obj.place_path)

    def scope(self, actor: Actor, queryset):
        if not may_view(actor):
            return queryset.none()
        if actor.is_city:
            return queryset
        return queryset.filter(place_path__startswith=actor.area_path)
