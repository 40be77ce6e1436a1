"""Who may see and change the statistics (deny by default).

* A reporting unit's staff (member unit, street or town office, science base) see and fill their own
  unit's forms; the district office sees every form of its district, fills its own and the district's
  table, opens the year and reviews the units' forms; the city office sees every form and reviews the
  districts' tables.
* Nobody else sees a form. Changing one is further bound to its state (``services.check_open``) and
  moving it to the workflow (``workflow.REPORT``).
"""

from __future__ import annotations

from enum import StrEnum

from django.db.models import Q

from kepu.core.permissions import Policy, covers, register
from kepu.core.roles import Role
from kepu.statistics.models import Report, ReportLevel
from kepu.statistics.units import FILER_ROLES

#: The roles that have a statistics page at all.
STATISTICS_ROLES = frozenset(FILER_ROLES | {Role.DISTRICT_ADMIN, Role.CITY_ADMIN})


class ReportAction(StrEnum):
    VIEW = "view"
    EDIT = "edit"  # the figures of a unit's form
    EXPLAIN = "explain"  # explanations of warnings (a unit's form or the district's table)
    OPEN_YEAR = "open_year"
    #: Have a statistics page at all (the filers, the district and city offices), on the model.
    FILE = "file"
    #: Run a district's statistics (open its years, follow its units): the district office, on the model.
    RUN_DISTRICT = "run_district"
    #: The city's table of the districts (the city office), on the model.
    VIEW_CITY = "view_city"
    #: Load a new edition of the indicator dictionary (the city office), on the model.
    LOAD_EDITION = "load_edition"
    #: A district's pages (its table, its units): its district office and the city office; obj carries the district.
    VIEW_DISTRICT = "view_district"


def _own_unit(actor, report) -> bool:
    from kepu.statistics.workflow import is_filer

    return report.level == ReportLevel.UNIT and is_filer(actor, report)


@register
class ReportPolicy(Policy):
    model = Report
    actions = ReportAction

    def scope(self, actor, queryset):
        if actor.is_city:
            return queryset
        if actor.role == Role.DISTRICT_ADMIN and actor.area_path:
            return queryset.filter(place_path__startswith=actor.area_path)
        if actor.role in FILER_ROLES and actor.organization_id:
            return queryset.filter(Q(organization_id=actor.organization_id) & Q(level=ReportLevel.UNIT))
        return queryset.none()

    def can(self, actor, action, obj=None):
        from kepu.statistics.workflow import is_filer

        if action == ReportAction.FILE:
            return actor.role in STATISTICS_ROLES
        if action == ReportAction.RUN_DISTRICT:
            return actor.role == Role.DISTRICT_ADMIN
        if action in (ReportAction.VIEW_CITY, ReportAction.LOAD_EDITION):
            return actor.is_city
        if obj is None:
            return False
        if action == ReportAction.VIEW_DISTRICT:
            return actor.is_city or (
                actor.role == Role.DISTRICT_ADMIN and actor.place is not None and actor.place.pk == obj.district_id
            )
        if action == ReportAction.VIEW:
            if actor.is_city:
                return True
            if actor.role == Role.DISTRICT_ADMIN:
                return covers(actor, obj.place_path)
            return _own_unit(actor, obj) or (
                actor.role in FILER_ROLES
                and obj.level == ReportLevel.UNIT
                and obj.organization_id == actor.organization_id
            )
        if action == ReportAction.EDIT:
            return _own_unit(actor, obj)
        if action == ReportAction.EXPLAIN:
            return is_filer(actor, obj)
        if action == ReportAction.OPEN_YEAR:
            return actor.role == Role.DISTRICT_ADMIN and actor.place is not None and actor.place.pk == obj.district_id
        return False
