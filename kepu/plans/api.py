"""The plans API under /api/v1/plans/: thin, through the same selectors and services as the web."""

from __future__ import annotations

from datetime import date, datetime
from decimal import Decimal

from ninja import Field, File, Router, Schema, Status
from ninja.files import UploadedFile

from kepu.core.api import actor_of
from kepu.core.errors import NotFound
from kepu.core.permissions import can, get_visible, scope
from kepu.plans import review, selectors, services
from kepu.plans.evaluation import evaluate
from kepu.plans.measures import measures
from kepu.plans.models import NodeKind, Target
from kepu.plans.permissions import PlanAction

router = Router(tags=["plans"])


class PlanOut(Schema):
    id: int
    title: str
    year: int
    period_start: date
    period_end: date
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
    period: str = Field(..., description="total (the whole plan), year, by_year (due_date's year), quarter …")
    due_date: date | None
    baseline: Decimal | None
    baseline_year: int | None
    current: Decimal | None
    met: bool
    measure: str
    records_url: str


class NodeOut(Schema):
    id: int
    parent_id: int | None
    kind: str = Field(..., description="section, task, or text (the plan's own text: not supervised)")
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
        "id": n.node.pk,
        "parent_id": n.node.parent_id,
        "kind": n.node.kind,
        "marker": n.node.marker,
        "title": n.node.title,
        "weight": n.node.weight,
        "lead_unit_id": n.node.lead_unit_id,
        "unit_ids": [u.pk for u in n.units],
        "deadline": n.node.deadline,
        "progress": round(n.progress, 4),
        "status": n.status,
        "targets": [
            {
                "id": tv.target.pk,
                "label": tv.target.label,
                "comparator": tv.target.comparator,
                "quantity": tv.target.quantity,
                "unit_of_measure": tv.target.unit_of_measure,
                "period": tv.target.period,
                "due_date": tv.target.due_date,
                "baseline": tv.target.baseline,
                "baseline_year": tv.target.baseline_year,
                "current": tv.current,
                "met": tv.met,
                "measure": tv.target.measure_key,
                "records_url": tv.records_url,
            }
            for tv in n.targets
        ],
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


@router.get("/tasks/{int:task_id}", response=NodeOut)
def task_get(request, task_id: int):
    task = selectors.task_get(actor=actor_of(request), pk=task_id)
    view = selectors.plan_progress(task.plan)
    return _node_out(next(n for n in view.tasks if n.node.pk == task.pk))


@router.post("/tasks/{int:task_id}/reports", response={201: ReportOut}, summary="Report progress on a task")
def report_create(request, task_id: int, payload: ReportIn):
    actor = actor_of(request)
    task = selectors.task_get(actor=actor, pk=task_id)
    target = None
    if payload.target_id is not None:
        target = Target.objects.filter(pk=payload.target_id, task=task).first()
        if target is None:
            raise NotFound()
    report = services.report_create(
        actor=actor, task=task, text=payload.text, percent=payload.percent, target=target, value=payload.value
    )
    return Status(201, report)


@router.get("/{int:plan_id}", response=PlanDetailOut)
def plan_get(request, plan_id: int):
    actor = actor_of(request)
    plan = selectors.plan_get(actor=actor, pk=plan_id)
    view = selectors.plan_progress(plan)
    visible = set(scope(actor, plan.nodes.all()).values_list("pk", flat=True))
    return {
        "id": plan.pk,
        "title": plan.title,
        "year": plan.year,
        "status": plan.status,
        "owner_id": plan.owner_id,
        "owner_name": plan.owner.name,
        "progress": round(view.progress, 4),
        "nodes": [_node_out(n) for n in view.nodes if n.node.pk in visible],
    }


@router.get("/{int:plan_id}/evaluation", response=list[ScoreOut])
def plan_evaluation(request, plan_id: int):
    actor = actor_of(request)
    plan = selectors.plan_get(actor=actor, pk=plan_id)
    only = None if can(actor, PlanAction.VIEW_ALL_SCORES, plan) else actor.organization_id
    return [
        {
            "organization_id": s.organization.pk,
            "organization_name": s.organization.name,
            "total": s.total,
            "parts": [p.__dict__ for p in s.parts],
        }
        for s in evaluate(selectors.plan_progress(plan), only_org=only)
    ]


class ReopenIn(Schema):
    reason: str


@router.post("/{int:plan_id}/close", response=PlanOut, summary="Close a plan: reports stop, live targets freeze")
def plan_close(request, plan_id: int):
    actor = actor_of(request)
    return services.plan_close(actor=actor, plan=selectors.plan_get(actor=actor, pk=plan_id))


@router.post("/{int:plan_id}/reopen", response=PlanOut, summary="Reopen a closed plan, with a reason")
def plan_reopen(request, plan_id: int, payload: ReopenIn):
    actor = actor_of(request)
    return services.plan_reopen(actor=actor, plan=selectors.plan_get(actor=actor, pk=plan_id), reason=payload.reason)


# --- The office's side: plans, tasks, targets, reminders, marks, import drafts ------------------
class PlanIn(Schema):
    title: str
    year: int
    end_year: int | None = None


@router.post("/", response={201: PlanOut}, summary="Start an empty plan (the office's own)")
def plan_create(request, payload: PlanIn):
    return Status(
        201,
        services.plan_create(
            actor=actor_of(request), title=payload.title, year=payload.year, end_year=payload.end_year
        ),
    )


class NodeIn(Schema):
    kind: str = NodeKind.TASK
    title: str
    parent_id: int | None = None
    marker: str = ""
    text: str = ""
    lead_unit_id: int | None = None
    co_unit_ids: list[int] = []
    deadline: date | None = None


class NodeRefOut(Schema):
    id: int
    plan_id: int
    parent_id: int | None
    kind: str
    marker: str
    title: str


@router.post("/{int:plan_id}/nodes", response={201: NodeRefOut}, summary="Add a section or a task")
def node_add(request, plan_id: int, payload: NodeIn):
    actor = actor_of(request)
    plan = selectors.plan_get(actor=actor, pk=plan_id)
    parent = selectors.node_get(actor=actor, pk=payload.parent_id) if payload.parent_id else None
    return Status(
        201,
        services.node_add(
            actor=actor,
            plan=plan,
            kind=payload.kind,
            title=payload.title,
            parent=parent,
            marker=payload.marker,
            text=payload.text,
            lead_unit_id=payload.lead_unit_id,
            co_unit_ids=payload.co_unit_ids,
            deadline=payload.deadline,
        ),
    )


@router.delete("/nodes/{int:node_id}", response={204: None}, summary="Remove a task or an empty section")
def node_remove(request, node_id: int):
    actor = actor_of(request)
    services.node_remove(actor=actor, node=selectors.node_get(actor=actor, pk=node_id))
    return Status(204, None)


class TaskPatchIn(Schema):
    title: str | None = None
    text: str | None = None
    lead_unit_id: int | None = None
    co_unit_ids: list[int] | None = None
    deadline: date | None = None
    weight: Decimal | None = None
    budget: Decimal | None = None
    spent: Decimal | None = None


@router.patch("/tasks/{int:task_id}", response=NodeOut, summary="Change a task; only the fields sent change")
def task_update(request, task_id: int, payload: TaskPatchIn):
    actor = actor_of(request)
    task = selectors.task_get(actor=actor, pk=task_id)
    services.task_update(actor=actor, task=task, **payload.dict(exclude_unset=True))
    return task_get(request, task_id)


class TargetIn(Schema):
    label: str
    quantity: Decimal
    unit_of_measure: str
    comparator: str = "≥"
    period: str = "year"
    due_date: date | None = None


@router.post("/tasks/{int:task_id}/targets", response={201: NodeOut}, summary="Add a target to a task")
def target_add(request, task_id: int, payload: TargetIn):
    actor = actor_of(request)
    services.target_add(actor=actor, task=selectors.task_get(actor=actor, pk=task_id), **payload.dict())
    return Status(201, task_get(request, task_id))


class BindIn(Schema):
    """``{"measure": ""}`` unbinds; any other body than this object (``false``, ``[]``) is refused (400)."""

    measure: str = Field("", max_length=80)
    filters: dict[str, str] = {}


@router.post(
    "/targets/{int:target_id}/bind",
    response=NodeOut,
    summary="Bind a target to a measure the platform computes (empty measure: unbind)",
)
def target_bind(request, target_id: int, payload: BindIn):
    actor = actor_of(request)
    target = get_visible(actor, Target.objects.select_related("task__plan"), pk=target_id)
    services.target_bind(actor=actor, target=target, measure_key=payload.measure, filters=payload.filters)
    return task_get(request, target.task_id)


class MilestoneIn(Schema):
    title: str
    due_date: date


@router.post("/tasks/{int:task_id}/milestones", response={201: NodeOut}, summary="Add a milestone to a task")
def milestone_add(request, task_id: int, payload: MilestoneIn):
    actor = actor_of(request)
    services.milestone_add(
        actor=actor, task=selectors.task_get(actor=actor, pk=task_id), title=payload.title, due_date=payload.due_date
    )
    return Status(201, task_get(request, task_id))


class RemindIn(Schema):
    organization_id: int | None = None


class RemindOut(Schema):
    sent: int


@router.post("/tasks/{int:task_id}/remind", response=RemindOut, summary="Remind a task's units (or one of them)")
def task_remind(request, task_id: int, payload: RemindIn):
    actor = actor_of(request)
    sent = services.reminder_send(
        actor=actor, task=selectors.task_get(actor=actor, pk=task_id), organization_id=payload.organization_id
    )
    return {"sent": sent}


class MarkIn(Schema):
    mark: int


class MarkOut(ReportOut):
    quality_mark: int | None


@router.post("/reports/{int:report_id}/mark", response=MarkOut, summary="Give a report a quality mark (0–5)")
def report_mark(request, report_id: int, payload: MarkIn):
    actor = actor_of(request)
    report = selectors.report_get(actor=actor, pk=report_id)
    return services.report_mark(actor=actor, report=report, mark=payload.mark)


class DraftUnitOut(Schema):
    index: int
    part: str
    status: str
    lead: bool
    choice: list[int] | None
    candidates: list[dict]


class DraftTaskOut(Schema):
    key: str
    marker: str
    title: str
    units: list[DraftUnitOut]


class DraftTargetOut(Schema):
    key: str = Field(..., description="the part the target stands in (a point's key when folded into a task)")
    index: int
    label: str
    comparator: str
    value: str = Field(..., description="as plans write it: 2.5亿, 20万, 800")
    unit: str
    text: str
    period: str = Field(..., description="what it will be published with: total, year, by_year, quarter …")
    period_stated: bool = Field(..., description="whether the document says the period (else: the whole plan)")
    period_text: str
    by_year: int | None
    baseline: str
    baseline_year: int | None
    is_baseline: bool = Field(..., description="where things stood, shown but not published as a target")


class DraftNodeOut(Schema):
    key: str = Field(..., description="position in the tree, or 'preamble' for the text above the first section")
    kind: str
    marker: str
    title: str
    role: str = Field(..., description="task, text (the plan's own text), or section")
    role_choice: str | None
    plan_text: bool = Field(..., description="read as the plan's text from its heading (指导思想, 保障措施 …)")
    depth: int
    line_start: int
    line_end: int
    points: int
    targets: list[DraftTargetOut]
    units: list[DraftUnitOut]


class DraftSummaryOut(Schema):
    tasks: int
    text_parts: int
    targets: int
    baselines: int
    matched: int
    left_out: int
    pending: int
    tasks_without_units: int


class NameToResolveOut(Schema):
    name: str
    count: int = Field(..., description="how many places (task × unit) name it")
    candidates: list[dict]
    preselect: int | None = Field(..., description="pre-selected only when one candidate is ≥ 85% alike")


class WarningOut(Schema):
    code: str
    line: int | None
    message: str


class DraftOut(Schema):
    id: int
    filename: str
    title: str | None
    year: int | None
    end_year: int | None
    bullets_as_tasks: bool
    bullets_default: bool
    summary: DraftSummaryOut
    nodes: list[DraftNodeOut]
    tasks: list[DraftTaskOut]
    unresolved: list[str]
    names_to_resolve: list[NameToResolveOut]
    warnings: list[WarningOut]


def _draft_out(draft) -> dict:
    shown = review.review(draft)
    parsed = shown.parsed
    nodes = []
    for row in shown.rows:
        units = [
            {
                "index": u.index,
                "part": u.part,
                "status": u.status,
                "lead": u.lead,
                "choice": u.chosen,
                "candidates": draft.matches.get(row.key, [])[u.index].get("candidates", []),
            }
            for u in row.units
        ]
        nodes.append(
            {
                "key": row.key,
                "kind": row.kind,
                "marker": row.marker,
                "title": row.title,
                "role": row.role,
                "role_choice": row.role_choice,
                "plan_text": row.plan_text,
                "depth": row.depth,
                "line_start": row.line_start,
                "line_end": row.line_end,
                "points": row.points,
                "targets": [{**t.__dict__, "period_stated": t.stated} for t in row.targets],
                "units": units,
            }
        )
    summary = shown.summary()
    return {
        "id": draft.pk,
        "filename": draft.filename,
        "title": parsed.title,
        "year": parsed.year,
        "end_year": parsed.end_year,
        "bullets_as_tasks": parsed.bullets_as_tasks,
        "bullets_default": parsed.bullets_default,
        "summary": {k: getattr(summary, k) for k in DraftSummaryOut.model_fields},
        "nodes": nodes,
        "tasks": [
            {"key": n["key"], "marker": n["marker"], "title": n["title"], "units": n["units"]}
            for n in nodes
            if n["role"] == "task"
        ],
        "unresolved": [p[2] for p in services.unresolved_units(draft)],
        "names_to_resolve": [
            {"name": n.name, "count": n.count, "candidates": n.candidates, "preselect": n.preselect}
            for n in shown.names_to_resolve()
        ],
        "warnings": shown.warnings(),
    }


@router.post(
    "/drafts",
    response={201: DraftOut},
    summary="Read a plan document (.docx or .txt) into a draft to correct before publishing",
)
def draft_create(request, document: UploadedFile = File(...)):  # noqa: B008 (ninja's way to declare a file)
    draft = services.draft_create(actor=actor_of(request), data=document.read(), filename=document.name or "")
    return Status(201, _draft_out(draft))


@router.get("/drafts/{int:draft_id}", response=DraftOut)
def draft_get(request, draft_id: int):
    return _draft_out(selectors.draft_get(actor=actor_of(request), pk=draft_id))


class DraftUnitIn(Schema):
    key: str
    index: int
    choice: str = Field(
        ..., description="an organization id, 'skip' to leave the unit out, or 'lead' to make it the lead unit"
    )


@router.post(
    "/drafts/{int:draft_id}/units",
    response=DraftOut,
    summary="Choose the organization(s) for one unit of a task, skip it, or make it the lead",
)
def draft_choose_unit(request, draft_id: int, payload: DraftUnitIn):
    actor = actor_of(request)
    draft = selectors.draft_get(actor=actor, pk=draft_id)
    if payload.choice == "lead":
        draft = services.draft_set_lead(actor=actor, draft=draft, task_key=payload.key, index=payload.index)
    else:
        draft = services.draft_choose_unit(
            actor=actor, draft=draft, task_key=payload.key, index=payload.index, choice=payload.choice
        )
    return _draft_out(draft)


class DraftNameIn(Schema):
    name: str = Field(..., description="a written unit name as the draft lists it under names_to_resolve")
    choice: str = Field(..., description="an organization id, or 'skip' to leave the unit out")


@router.post(
    "/drafts/{int:draft_id}/names",
    response=DraftOut,
    summary="Say once which organization a written name means, for every task that names it",
)
def draft_resolve_name(request, draft_id: int, payload: DraftNameIn):
    return _draft_change(
        request,
        draft_id,
        lambda actor, draft: services.draft_resolve_name(
            actor=actor, draft=draft, name=payload.name, choice=payload.choice
        ),
    )


def _draft_change(request, draft_id: int, change) -> dict:
    """Find the caller's draft, let ``change(actor, draft)`` call a service, answer with the draft as it now is."""
    actor = actor_of(request)
    draft = selectors.draft_get(actor=actor, pk=draft_id)
    change(actor, draft)
    draft.refresh_from_db()
    return _draft_out(draft)


class DraftRoleIn(Schema):
    key: str
    role: str = Field(..., description="'task', 'text' (the plan's own text) or 'auto' (as read); applies below too")


@router.post("/drafts/{int:draft_id}/roles", response=DraftOut, summary="Make a part a task or the plan's text")
def draft_set_role(request, draft_id: int, payload: DraftRoleIn):
    return _draft_change(
        request,
        draft_id,
        lambda actor, draft: services.draft_set_role(actor=actor, draft=draft, key=payload.key, role=payload.role),
    )


class DraftBulletsIn(Schema):
    as_tasks: bool = Field(..., description="whether the document's “——” items are tasks of their own")


@router.post("/drafts/{int:draft_id}/bullets", response=DraftOut, summary="Say whether “——” items are tasks")
def draft_set_bullets(request, draft_id: int, payload: DraftBulletsIn):
    return _draft_change(
        request,
        draft_id,
        lambda actor, draft: services.draft_set_bullets(actor=actor, draft=draft, as_tasks=payload.as_tasks),
    )


class DraftTargetIn(Schema):
    key: str = Field(..., description="the target's key as the draft gives it ('preamble' for the head)")
    index: int
    period: str = Field(..., description="total, year, by_year, quarter, month, term, week, day; or 'drop'")
    by_year: int | None = None


@router.post(
    "/drafts/{int:draft_id}/targets",
    response=DraftOut,
    summary="Confirm or correct a target's period, or take out what is not a target",
)
def draft_set_target(request, draft_id: int, payload: DraftTargetIn):
    return _draft_change(
        request,
        draft_id,
        lambda actor, draft: services.draft_set_target(
            actor=actor,
            draft=draft,
            key=payload.key,
            index=payload.index,
            period=payload.period,
            by_year=payload.by_year,
        ),
    )


class DraftTitleIn(Schema):
    key: str
    title: str


@router.post("/drafts/{int:draft_id}/titles", response=DraftOut, summary="Correct the title of a part")
def draft_edit_title(request, draft_id: int, payload: DraftTitleIn):
    return _draft_change(
        request,
        draft_id,
        lambda actor, draft: services.draft_edit_title(
            actor=actor, draft=draft, task_key=payload.key, title=payload.title
        ),
    )


@router.post("/drafts/{int:draft_id}/publish", response={201: PlanOut}, summary="Publish a corrected draft as a plan")
def draft_publish(request, draft_id: int, payload: PlanIn):
    actor = actor_of(request)
    draft = selectors.draft_get(actor=actor, pk=draft_id)
    return Status(
        201,
        services.plan_publish(
            actor=actor, draft=draft, title=payload.title, year=payload.year, end_year=payload.end_year
        ),
    )


@router.delete("/drafts/{int:draft_id}", response={204: None}, summary="Discard a draft")
def draft_discard(request, draft_id: int):
    actor = actor_of(request)
    services.draft_discard(actor=actor, draft=selectors.draft_get(actor=actor, pk=draft_id))
    return Status(204, None)
