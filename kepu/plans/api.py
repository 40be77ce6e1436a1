"""The plans API under /api/v1/plans/: thin, through the same selectors and services as the web."""

from __future__ import annotations

from datetime import date, datetime
from decimal import Decimal

from ninja import Router, Schema, Status

from kepu.core.api import actor_of
from kepu.core.errors import NotFound
from kepu.core.permissions import scope
from kepu.plans import selectors, services
from kepu.plans.evaluation import evaluate
from kepu.plans.measures import measures
from kepu.plans.models import Target

router = Router(tags=["plans"])


class PlanOut(Schema):
    id: int
    title: str
    year: int
    status: str
    closed_at: datetime | None = None
    owner_id: int
    owner_name: str

    @staticmethod
    def resolve_owner_name(obj):
        return obj.owner.name


class TargetOut(Schema):
    id: int
    label: str
    comparator: str
    quantity: Decimal
    unit_of_measure: str
    period: str
    current: Decimal | None
    met: bool
    measure: str
    records_url: str


class NodeOut(Schema):
    id: int
    parent_id: int | None
    kind: str
    marker: str
    title: str
    weight: Decimal
    lead_unit_id: int | None
    unit_ids: list[int]
    deadline: date | None
    progress: Decimal
    status: str
    targets: list[TargetOut]


class PlanDetailOut(Schema):
    id: int
    title: str
    year: int
    status: str
    owner_id: int
    owner_name: str
    progress: Decimal
    nodes: list[NodeOut]


class ReportIn(Schema):
    text: str
    percent: Decimal | None = None
    target_id: int | None = None
    value: Decimal | None = None


class ReportOut(Schema):
    id: int
    task_id: int
    organization_id: int
    percent: Decimal | None
    target_id: int | None
    value: Decimal | None
    text: str
    on_time: bool


class MeasureOut(Schema):
    key: str
    label: str
    unit: str


class ScorePartOut(Schema):
    code: str
    label: str
    points: Decimal
    out_of: int
    basis: str


class ScoreOut(Schema):
    organization_id: int
    organization_name: str
    total: Decimal
    parts: list[ScorePartOut]


def _node_out(n) -> dict:
    return {
        "id": n.node.pk, "parent_id": n.node.parent_id, "kind": n.node.kind, "marker": n.node.marker,
        "title": n.node.title, "weight": n.node.weight, "lead_unit_id": n.node.lead_unit_id,
        "unit_ids": [u.pk for u in n.units], "deadline": n.node.deadline, "progress": round(n.progress, 4),
        "status": n.status, "targets": [{
            "id": tv.target.pk, "label": tv.target.label, "comparator": tv.target.comparator,
            "quantity": tv.target.quantity, "unit_of_measure": tv.target.unit_of_measure,
            "period": tv.target.period, "current": tv.current, "met": tv.met, "measure": tv.target.measure_key,
            "records_url": tv.records_url} for tv in n.targets],
    }


@router.get("/", response=list[PlanOut], summary="Plans the caller may see")
def plan_list(request, year: int | None = None):
    return list(selectors.plan_list(actor=actor_of(request), year=year))


@router.get("/measures", response=list[MeasureOut], summary="Measures a target can be bound to")
def measure_list(request):
    return [{"key": m.key, "label": str(m.label), "unit": m.unit} for m in measures()]


@router.get("/tasks/mine", response=list[NodeOut], summary="The caller's unit's tasks")
def my_tasks(request):
    return [_node_out(n) for n in selectors.my_tasks(actor=actor_of(request))]


@router.get("/tasks/{task_id}", response=NodeOut)
def task_get(request, task_id: int):
    task = selectors.task_get(actor=actor_of(request), pk=task_id)
    view = selectors.plan_progress(task.plan)
    return _node_out(next(n for n in view.tasks if n.node.pk == task.pk))


@router.post("/tasks/{task_id}/reports", response={201: ReportOut}, summary="Report progress on a task")
def report_create(request, task_id: int, payload: ReportIn):
    actor = actor_of(request)
    task = selectors.task_get(actor=actor, pk=task_id)
    target = None
    if payload.target_id is not None:
        target = Target.objects.filter(pk=payload.target_id, task=task).first()
        if target is None:
            raise NotFound()
    report = services.report_create(actor=actor, task=task, text=payload.text, percent=payload.percent,
                                    target=target, value=payload.value)
    return Status(201, report)


@router.get("/{plan_id}", response=PlanDetailOut)
def plan_get(request, plan_id: int):
    actor = actor_of(request)
    plan = selectors.plan_get(actor=actor, pk=plan_id)
    view = selectors.plan_progress(plan)
    visible = set(scope(actor, plan.nodes.all()).values_list("pk", flat=True))
    return {
        "id": plan.pk, "title": plan.title, "year": plan.year, "status": plan.status, "owner_id": plan.owner_id,
        "owner_name": plan.owner.name, "progress": round(view.progress, 4),
        "nodes": [_node_out(n) for n in view.nodes if n.node.pk in visible],
    }


@router.get("/{plan_id}/evaluation", response=list[ScoreOut])
def plan_evaluation(request, plan_id: int):
    from kepu.plans.permissions import UNIT_ROLES

    actor = actor_of(request)
    plan = selectors.plan_get(actor=actor, pk=plan_id)
    only = actor.organization_id if actor.role in UNIT_ROLES else None
    return [{"organization_id": s.organization.pk, "organization_name": s.organization.name, "total": s.total,
             "parts": [p.__dict__ for p in s.parts]} for s in evaluate(selectors.plan_progress(plan), only_org=only)]


class ReopenIn(Schema):
    reason: str


@router.post("/{plan_id}/close", response=PlanOut, summary="Close a plan: reports stop, live targets freeze")
def plan_close(request, plan_id: int):
    actor = actor_of(request)
    return services.plan_close(actor=actor, plan=selectors.plan_get(actor=actor, pk=plan_id))


@router.post("/{plan_id}/reopen", response=PlanOut, summary="Reopen a closed plan, with a reason")
def plan_reopen(request, plan_id: int, payload: ReopenIn):
    actor = actor_of(request)
    return services.plan_reopen(actor=actor, plan=selectors.plan_get(actor=actor, pk=plan_id), reason=payload.reason)
