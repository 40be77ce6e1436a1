"""Who may see and do what with plans.

* The office that published a plan (its owner, a district office) manages it: edits tasks,
  binds targets, marks reports, sends reminders, runs the evaluation, closes and reopens it.
  A closed plan is read-only for everybody until its office reopens it.
* The city office sees every plan; a district office sees the plans of its district.
* A member unit or street office sees the plans it has tasks in, and of those only its own
  tasks (as lead unit or co-unit); it reports progress on them. So does the office on the tasks
  it is itself responsible for.
* Everybody else, and every other district, sees nothing.
"""

from enum import StrEnum

from django.db.models import Q

from kepu.core.permissions import Policy, covers, register
from kepu.core.roles import Role
from kepu.plans.models import ImportDraft, Plan, PlanNode, ProgressReport, Target

#: Roles whose organization can be a responsible unit of a task (责任单位).
UNIT_ROLES = frozenset({Role.UNIT_STAFF, Role.STREET_STAFF})


class PlanAction(StrEnum):
    VIEW = "view"
    IMPORT = "import"  # obj: an unsaved Plan carrying owner and place
    MANAGE = "manage"
    REPORT = "report"  # on a task
    MARK = "mark"  # quality mark on a report
    #: Start a plan of one's own, imported from a document or empty (a district office).
    CREATE = "create"
    #: Every unit's score in the evaluation; a unit sees its own row only.
    VIEW_ALL_SCORES = "view_all_scores"


def _is_owner_office(actor, plan) -> bool:
    return actor.has_role(Role.DISTRICT_ADMIN) and actor.organization_id == plan.owner_id


def _may_change(actor, plan) -> bool:
    """Tasks, targets and marks change only while the plan is open; closing and reopening stay with the office."""
    return _is_owner_office(actor, plan) and plan.status == "active"


def _unit_task_q(actor, prefix: str = "") -> Q:
    org = actor.organization_id
    return Q(**{f"{prefix}lead_unit_id": org}) | Q(**{f"{prefix}co_units": org})


@register
class PlanPolicy(Policy):
    model = Plan
    actions = PlanAction

    def scope(self, actor, queryset):
        if actor.is_city:
            return queryset
        if actor.has_role(Role.DISTRICT_ADMIN) and actor.area_path:
            return queryset.filter(place__path__startswith=actor.area_path)
        if actor.role in UNIT_ROLES and actor.organization_id:
            ids = PlanNode.objects.filter(_unit_task_q(actor)).values("plan_id")
            return queryset.filter(pk__in=ids)
        return queryset.none()

    def can(self, actor, action, obj=None):
        if obj is None:
            return False
        if action == PlanAction.VIEW:
            return self.scope(actor, Plan.objects.filter(pk=obj.pk)).exists()
        if action == PlanAction.CREATE:
            return actor.has_role(Role.DISTRICT_ADMIN)
        if action == PlanAction.VIEW_ALL_SCORES:
            return actor.role not in UNIT_ROLES and self.can(actor, PlanAction.VIEW, obj)
        if action == PlanAction.IMPORT:
            return (
                actor.has_role(Role.DISTRICT_ADMIN)
                and obj.owner_id == actor.organization_id
                and covers(actor, obj.place.path)
            )
        if action == PlanAction.MANAGE:
            return _is_owner_office(actor, obj)
        return False


@register
class PlanNodePolicy(Policy):
    model = PlanNode
    actions = PlanAction

    def scope(self, actor, queryset):
        if actor.is_city:
            return queryset
        if actor.has_role(Role.DISTRICT_ADMIN) and actor.area_path:
            return queryset.filter(plan__place__path__startswith=actor.area_path)
        if actor.role in UNIT_ROLES and actor.organization_id:
            return queryset.filter(pk__in=PlanNode.objects.filter(_unit_task_q(actor)).values("pk"))
        return queryset.none()

    def can(self, actor, action, obj=None):
        if obj is None:
            return False
        if action == PlanAction.VIEW:
            return self.scope(actor, PlanNode.objects.filter(pk=obj.pk)).exists()
        if action == PlanAction.REPORT:
            if not obj.is_task or obj.plan.status != "active":
                return False
            # The office itself is often a responsible unit (区科协) and reports like any other.
            if actor.role in UNIT_ROLES or actor.has_role(Role.DISTRICT_ADMIN):
                return (
                    obj.lead_unit_id == actor.organization_id
                    or PlanNode.co_units.through.objects.filter(
                        plannode_id=obj.pk, organization_id=actor.organization_id
                    ).exists()
                )
            return False
        if action == PlanAction.MANAGE:
            return _may_change(actor, obj.plan)
        return False


@register
class TargetPolicy(Policy):
    model = Target
    actions = PlanAction

    def scope(self, actor, queryset):
        return queryset.filter(task__in=PlanNodePolicy().scope(actor, PlanNode.objects.all()))

    def can(self, actor, action, obj=None):
        if obj is None:
            return False
        if action == PlanAction.VIEW:
            return PlanNodePolicy().can(actor, PlanAction.VIEW, obj.task)
        if action == PlanAction.MANAGE:
            return _may_change(actor, obj.task.plan)
        return False


@register
class ProgressReportPolicy(Policy):
    model = ProgressReport
    actions = PlanAction

    def scope(self, actor, queryset):
        if actor.is_city:
            return queryset
        if actor.has_role(Role.DISTRICT_ADMIN) and actor.area_path:
            return queryset.filter(task__plan__place__path__startswith=actor.area_path)
        if actor.role in UNIT_ROLES and actor.organization_id:
            return queryset.filter(organization_id=actor.organization_id)
        return queryset.none()

    def can(self, actor, action, obj=None):
        if obj is None:
            return False
        if action == PlanAction.VIEW:
            return self.scope(actor, ProgressReport.objects.filter(pk=obj.pk)).exists()
        if action == PlanAction.MARK:
            return _may_change(actor, obj.task.plan)
        return False


@register
class ImportDraftPolicy(Policy):
    """A draft is the private work of the person who uploaded it, in the role they uploaded it in."""

    model = ImportDraft
    actions = PlanAction

    def scope(self, actor, queryset):
        if not actor.has_role(Role.DISTRICT_ADMIN):
            return queryset.none()
        return queryset.filter(created_by=actor.user, owner_id=actor.organization_id)

    def can(self, actor, action, obj=None):
        if obj is None:
            return False
        return (
            action in (PlanAction.VIEW, PlanAction.MANAGE)
            and actor.has_role(Role.DISTRICT_ADMIN)
            and obj.created_by_id == actor.user.pk
            and obj.owner_id == actor.organization_id
        )
