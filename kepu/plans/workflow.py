"""The plan's state machine, declared with ``kepu.core.workflow``.

A plan is active while units report on its tasks; the district office that owns it closes it at
its period's end (live targets keep the value they had then, so the evaluation is final) and may
reopen it, with a reason that is audited, to correct a mistake found afterwards.
"""

from __future__ import annotations

from django.utils.translation import gettext_lazy as _

from kepu.core.actor import Actor
from kepu.core.roles import Role
from kepu.core.workflow import Step, Transition, Workflow
from kepu.plans.models import Plan, PlanStatus, Target


def owner_office(actor: Actor, plan: Plan) -> bool:
    return actor.role == Role.DISTRICT_ADMIN and actor.organization_id == plan.owner_id


def _close(step: Step) -> None:
    """Freeze every live target at its value now."""
    from kepu.plans.measures import compute_measure

    frozen = {}
    for target in Target.objects.select_for_update().filter(task__plan=step.obj).exclude(measure_key=""):
        target.closed_value = compute_measure(target.measure_key, target.measure_filters)
        target.save(update_fields=["closed_value"])
        frozen[target.pk] = str(target.closed_value)
    step.put("closed_at", step.now)
    step.event["frozen_targets"] = frozen


def _reopen(step: Step) -> None:
    Target.objects.filter(task__plan=step.obj).update(closed_value=None)
    step.put("closed_at", None)


PLAN = Workflow(
    "plan",
    model=Plan,
    audit_prefix="kepu.plans.plan",
    audit_place=lambda plan: plan.place,
    transitions=[
        Transition("close", _("Close the plan"), {PlanStatus.ACTIVE}, PlanStatus.CLOSED, {Role.DISTRICT_ADMIN},
                   owner_office, apply=_close),
        Transition("reopen", _("Reopen the plan"), {PlanStatus.CLOSED}, PlanStatus.ACTIVE, {Role.DISTRICT_ADMIN},
                   owner_office, needs_reason=True, negative=True, apply=_reopen),
    ],
)  # fmt: skip
