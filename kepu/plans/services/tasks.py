"""Tasks and targets of a published plan: edits, nodes, milestones, targets bound to live measures."""

from __future__ import annotations

from datetime import date
from decimal import Decimal

from django.db import transaction
from django.utils.translation import gettext as _

from kepu.core.actor import Actor
from kepu.core.audit import log_action
from kepu.core.errors import Conflict
from kepu.core.permissions import require
from kepu.plans.measures import filter_options, get_measure
from kepu.plans.models import Comparator, Milestone, NodeKind, Plan, PlanNode, ProgressReport, Target, TargetPeriod
from kepu.plans.permissions import PlanAction
from kepu.plans.services._common import PlanError, _co_unit_ids, _decimal, _ensure_open, _locked_task
from kepu.plans.services.drafts import unit_candidates

_UNSET = object()


@transaction.atomic
def task_update(
    *,
    actor: Actor,
    task: PlanNode,
    lead_unit_id=_UNSET,
    co_unit_ids=_UNSET,
    deadline=_UNSET,
    weight=_UNSET,
    budget=_UNSET,
    spent=_UNSET,
    title=_UNSET,
    text=_UNSET,
) -> PlanNode:
    """Change a task (or section) of a plan; every changed field goes into the audit entry."""
    task = _locked_task(actor, task, PlanAction.MANAGE)
    changes: dict = {}
    fields: list[str] = []
    valid = set(unit_candidates(task.plan.owner).values_list("pk", flat=True))

    def change(name, new):
        old = getattr(task, name)
        if old != new:
            changes[name] = [str(old) if old is not None else None, str(new) if new is not None else None]
            setattr(task, name, new)
            fields.append(name)

    if title is not _UNSET:
        if not (title or "").strip():
            raise PlanError(_("A task needs a title."), code="title_required")
        change("title", title.strip()[:500])
    if text is not _UNSET:
        change("text", (text or "").strip())
    if lead_unit_id is not _UNSET:
        if lead_unit_id is not None and int(lead_unit_id) not in valid:
            raise PlanError(_("Pick an organization from the list."), code="invalid_choice")
        change("lead_unit_id", int(lead_unit_id) if lead_unit_id is not None else None)
    if deadline is not _UNSET:
        latest = date(task.plan.period_end.year + 5, 12, 31)
        if deadline is not None and not task.plan.period_start <= deadline <= latest:
            raise PlanError(_("The deadline must fall within the plan's period."), code="invalid_deadline")
        change("deadline", deadline)
    if weight is not _UNSET:
        change("weight", _decimal(weight, _("Weight")) if weight not in (None, "") else Decimal("1"))
    if budget is not _UNSET:
        change("budget", _decimal(budget, _("Budget")))
    if spent is not _UNSET:
        change("spent", _decimal(spent, _("Spent")))
    if fields:
        task.save(update_fields=[*fields, "updated_at"])
    if co_unit_ids is not _UNSET:
        ids = {int(i) for i in co_unit_ids}
        if not ids <= valid:
            raise PlanError(_("Pick an organization from the list."), code="invalid_choice")
        ids.discard(task.lead_unit_id)
        old = set(_co_unit_ids(task))
        if old != ids:
            task.co_units.set(ids)
            changes["co_units"] = [sorted(old), sorted(ids)]
    if changes:
        log_action(actor, "kepu.plans.task_changed", task, place=task.plan.place, data=changes)
    return task


@transaction.atomic
def node_add(
    *,
    actor: Actor,
    plan: Plan,
    kind: str,
    title: str,
    parent: PlanNode | None = None,
    marker: str = "",
    text: str = "",
    lead_unit_id: int | None = None,
    co_unit_ids=(),
    deadline: date | None = None,
) -> PlanNode:
    """Add a section or a task at the end of the plan or of one of its sections.

    Tasks are the leaves units report on, so only a section can take children.
    """
    plan = Plan.objects.select_for_update().get(pk=plan.pk)
    require(actor, PlanAction.VIEW, plan)
    _ensure_open(plan)
    require(actor, PlanAction.MANAGE, plan)
    if kind not in NodeKind.values:
        raise PlanError(_("Choose a section or a task."), code="invalid_choice")
    title = (title or "").strip()
    if not title:
        raise PlanError(_("A task needs a title."), code="title_required")
    if parent is not None:
        parent = PlanNode.objects.filter(pk=parent.pk, plan=plan).first()
        if parent is None or parent.kind != NodeKind.SECTION:
            raise PlanError(
                _("A task or section can only be added under a section of the same plan."), code="invalid_parent"
            )
    last = PlanNode.objects.filter(plan=plan).order_by("-position").values_list("position", flat=True).first()
    node = PlanNode.objects.create(
        plan=plan,
        parent=parent,
        kind=kind,
        position=(last or 0) + 1,
        marker=(marker or "").strip()[:20],
        title=title[:500],
        text=(text or "").strip(),
    )
    log_action(
        actor,
        "kepu.plans.node_added",
        node,
        place=plan.place,
        data={"kind": kind, "title": node.title, "parent": parent.pk if parent else None},
    )
    if kind == NodeKind.TASK and (lead_unit_id is not None or co_unit_ids or deadline is not None):
        task_update(actor=actor, task=node, lead_unit_id=lead_unit_id, co_unit_ids=co_unit_ids, deadline=deadline)
    return node


@transaction.atomic
def node_remove(*, actor: Actor, node: PlanNode) -> None:
    """Take a task or an empty section out of a plan, while nothing has been reported on it.

    Once a unit has reported, the task is part of the record and stays (its weight can be set to 0).
    """
    node = _locked_task(actor, node, PlanAction.MANAGE)
    if node.children.exists():
        raise Conflict(_("Remove the tasks of this section first."), code="section_not_empty")
    if ProgressReport.objects.filter(task=node).exists():
        raise Conflict(
            _(
                "Units have reported on this task, so it stays in the plan; give it a weight of 0 "
                "to leave it out of the progress."
            ),
            code="task_has_reports",
        )
    log_action(
        actor,
        "kepu.plans.node_removed",
        node,
        place=node.plan.place,
        data={"kind": node.kind, "marker": node.marker, "title": node.title},
    )
    node.delete()


@transaction.atomic
def milestone_add(*, actor: Actor, task: PlanNode, title: str, due_date: date) -> Milestone:
    task = _locked_task(actor, task, PlanAction.MANAGE)
    if not (title or "").strip():
        raise PlanError(_("A milestone needs a title."), code="title_required")
    milestone = Milestone.objects.create(task=task, title=title.strip()[:200], due_date=due_date)
    log_action(
        actor,
        "kepu.plans.milestone_added",
        task,
        place=task.plan.place,
        data={"title": milestone.title, "due_date": due_date.isoformat()},
    )
    return milestone


@transaction.atomic
def target_add(
    *,
    actor: Actor,
    task: PlanNode,
    label: str,
    quantity,
    unit_of_measure: str,
    comparator: str = "≥",
    period: str = TargetPeriod.YEAR,
    due_date: date | None = None,
) -> Target:
    task = _locked_task(actor, task, PlanAction.MANAGE)
    qty = _decimal(quantity, _("Quantity"))
    if qty is None or not (label or "").strip() or not (unit_of_measure or "").strip():
        raise PlanError(_("A target needs what is measured, a quantity and a unit."), code="target_incomplete")
    if period not in TargetPeriod.values or comparator not in Comparator.values:
        raise PlanError(_("Choose the period the target is for."), code="invalid_period")
    target = Target.objects.create(
        task=task,
        label=label.strip()[:200],
        quantity=qty,
        unit_of_measure=unit_of_measure.strip()[:20],
        comparator=comparator,
        period=period,
        due_date=due_date or task.plan.period_end,
    )
    log_action(actor, "kepu.plans.target_added", target, place=task.plan.place, data={"target": str(target)})
    return target


@transaction.atomic
def target_bind(*, actor: Actor, target: Target, measure_key: str, filters: dict | None = None) -> Target:
    """Bind a target to a measure the platform computes (or unbind it with an empty key)."""
    target = Target.objects.select_for_update().select_related("task__plan").get(pk=target.pk)
    require(actor, PlanAction.VIEW, target)
    _ensure_open(target.task.plan)
    require(actor, PlanAction.MANAGE, target)
    if measure_key and get_measure(measure_key) is None:
        raise PlanError(_("There is no such measure."), code="unknown_measure")
    clean = _clean_filters(target.task.plan, filters or {})
    old = {"measure": target.measure_key, "filters": target.measure_filters}
    target.measure_key = measure_key or ""
    target.measure_filters = clean if measure_key else {}
    target.save(update_fields=["measure_key", "measure_filters"])
    log_action(
        actor,
        "kepu.plans.target_bound",
        target,
        place=target.task.plan.place,
        data={"from": old, "to": {"measure": target.measure_key, "filters": target.measure_filters}},
    )
    return target


def place_options(plan: Plan) -> list[tuple[str, str]]:
    """Places a target of ``plan`` may count in: the plan's own area and each street or town in it."""
    from kepu.places.selectors import children_of

    children = children_of(plan.place.code).values_list("code", "name")
    return [(plan.place.code, plan.place.name), *children]


def _clean_filters(plan: Plan, filters: dict) -> dict:
    """The filters of a binding, each checked against what may be picked for it; unknown keys are dropped."""
    clean: dict = {}
    choices = {
        "place": place_options(plan),
        "theme": filter_options("theme"),
        "population": filter_options("population"),
    }
    labels = {"place": _("Area"), "theme": _("Theme"), "population": _("Population")}
    for key, options in choices.items():
        value = str(filters.get(key) or "").strip()
        if not value:
            continue
        if options is not None and value not in {v for v, _label in options}:
            raise PlanError(_("%(field)s: pick a value from the list.") % {"field": labels[key]}, code="invalid_filter")
        clean[key] = value
    if filters.get("organization") not in (None, ""):
        org = str(filters["organization"])
        if not org.isdigit() or not unit_candidates(plan.owner).filter(pk=int(org)).exists():
            raise PlanError(_("Pick an organization from the list."), code="invalid_choice")
        clean["organization"] = int(org)
    if filters.get("year") not in (None, ""):
        year = str(filters["year"])
        if not year.isdigit() or not 2000 <= int(year) <= 2100:
            raise PlanError(_("Give the year the plan is for."), code="year_required")
        clean["year"] = int(year)
    return clean
