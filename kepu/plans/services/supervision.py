"""Supervision: reminders, overdue tasks, evaluation weights, closing and reopening a plan."""

from __future__ import annotations

from datetime import date

from django.db import transaction
from django.db.models import Q
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _

from kepu.core.actor import Actor
from kepu.core.audit import log_action
from kepu.core.permissions import require
from kepu.core.roles import Role
from kepu.plans.models import NodeKind, Plan, PlanNode, PlanStatus
from kepu.plans.permissions import PlanAction
from kepu.plans.services._common import PlanError, _co_unit_ids, _ensure_open, _locked_task
from kepu.plans.workflow import PLAN


# --- Supervision ---------------------------------------------------------------------------
def _remind(task: PlanNode, org_ids, title: str, body: str) -> int:
    """Tell the staff of the units ``org_ids``: in their inbox, by SMS and by WeChat. Returns how many people."""
    from kepu.accounts.selectors import staff_of
    from kepu.notifications.services import INBOX, SMS, WECHAT, notify

    people = staff_of(org_ids, (Role.UNIT_STAFF, Role.STREET_STAFF))
    notify(
        people,
        title=title,
        body=body,
        url=reverse("plans:task", args=[task.pk]),
        kind="plan_reminder",
        channels=(INBOX, SMS, WECHAT),
    )
    return len(people)


@transaction.atomic
def reminder_send(*, actor: Actor, task: PlanNode, organization_id: int | None = None) -> int:
    """Remind a task's units (or one of them) to report. Returns how many people were told."""
    task = _locked_task(actor, task, PlanAction.MANAGE)
    units = [task.lead_unit_id, *_co_unit_ids(task)]
    units = [u for u in units if u is not None]
    if organization_id is not None:
        if organization_id not in units:
            raise PlanError(_("That unit is not responsible for this task."), code="invalid_choice")
        units = [organization_id]
    if not units:
        raise PlanError(_("This task has no responsible unit yet."), code="no_units")
    text = _('Reminder from %(office)s: please report progress on the task "%(task)s" of %(plan)s.') % {
        "office": task.plan.owner.display_name,
        "task": task.title[:40],
        "plan": task.plan.title,
    }
    sent = _remind(task, units, _("Please report progress"), text)
    log_action(
        actor, "kepu.plans.reminder_sent", task, place=task.plan.place, data={"units": units, "recipients": sent}
    )
    return sent


def flag_overdue(*, today: date | None = None) -> list[int]:
    """Flag every task of an active plan whose deadline has passed unfinished; remind its units once.

    Run by the periodic task; the system is the actor, so the audit entries have no person.
    """
    from kepu.plans.selectors import plan_progress

    today = today or timezone.localdate()
    flagged: list[int] = []
    candidates = PlanNode.objects.filter(
        kind=NodeKind.TASK, plan__status=PlanStatus.ACTIVE, overdue_flagged_at__isnull=True
    ).filter(Q(deadline__lt=today) | Q(deadline__isnull=True, plan__period_end__lt=today))
    plan_ids = set(candidates.values_list("plan_id", flat=True))
    for plan in Plan.objects.filter(pk__in=plan_ids).select_related("owner", "place"):
        view = plan_progress(plan, today=today)
        for node_view in view.tasks:
            if node_view.status != "overdue" or node_view.node.overdue_flagged_at is not None:
                continue
            with transaction.atomic():
                task = PlanNode.objects.select_for_update().get(pk=node_view.node.pk)
                if task.overdue_flagged_at is not None:
                    continue
                task.overdue_flagged_at = timezone.now()
                task.save(update_fields=["overdue_flagged_at"])
                log_action(
                    None,
                    "kepu.plans.task_overdue",
                    task,
                    place=plan.place,
                    data={"deadline": task.effective_deadline.isoformat()},
                )
                units = [u.pk for u in node_view.units]
                text = _('%(office)s: the task "%(task)s" of %(plan)s is past its deadline. Please report.') % {
                    "office": plan.owner.display_name,
                    "task": task.title[:40],
                    "plan": plan.title,
                }
                _remind(task, units, _("A task is past its deadline"), text)
                flagged.append(task.pk)
    return flagged


@transaction.atomic
def plan_set_weights(*, actor: Actor, plan: Plan, targets: int, on_time: int, quality: int) -> Plan:
    """Configure the evaluation: points for targets met, reports on time and quality marks (sum 100)."""
    plan = Plan.objects.select_for_update().get(pk=plan.pk)
    require(actor, PlanAction.MANAGE, plan)
    _ensure_open(plan)
    parts = [targets, on_time, quality]
    if any(not isinstance(p, int) or p < 0 for p in parts) or sum(parts) != 100:
        raise PlanError(_("The three parts must be whole numbers that add up to 100."), code="invalid_weights")
    old = plan.score_weights
    plan.score_weights = {"targets": targets, "on_time": on_time, "quality": quality}
    plan.save(update_fields=["score_weights", "updated_at"])
    log_action(actor, "kepu.plans.weights_changed", plan, data={"from": old, "to": plan.score_weights})
    return plan


def plan_close(*, actor: Actor, plan: Plan) -> Plan:
    """Close a plan at its period's end: reports stop, and live targets keep the value they had now.

    Freezing the measured values makes the evaluation final: records of the period entered or
    corrected later do not move a closed plan's scores (``workflow.PLAN``).
    """
    require(actor, PlanAction.MANAGE, plan)
    if plan.status == PlanStatus.CLOSED:
        raise PlanError(_("The plan is already closed."), code="already_closed", status=409)
    return PLAN.run(actor=actor, obj=plan, name="close")


def plan_reopen(*, actor: Actor, plan: Plan, reason: str) -> Plan:
    """Reopen a closed plan, e.g. to correct a mistake found after closing; the reason is audited."""
    require(actor, PlanAction.MANAGE, plan)
    if plan.status != PlanStatus.CLOSED:
        raise PlanError(_("The plan is not closed."), code="not_closed", status=409)
    return PLAN.run(actor=actor, obj=plan, name="reopen", reason=reason)
