"""Every read about plans, scoped to the actor, with progress computed in a few queries."""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass, field
from datetime import date
from decimal import Decimal
from typing import TYPE_CHECKING

from django.db.models import Max, QuerySet
from django.utils import timezone

from kepu.core.actor import Actor
from kepu.core.permissions import get_visible, scope
from kepu.orgs.selectors import organizations_named
from kepu.plans.measures import compute_measure, get_measure, measure_records_url
from kepu.plans.models import ImportDraft, NodeKind, Plan, PlanNode, ProgressReport, Target
from kepu.plans.progress import ZERO, Status, target_met, target_ratio, task_progress, task_status, weighted_progress

if TYPE_CHECKING:
    from kepu.orgs.models import Organization


def plan_list(*, actor: Actor, year: int | None = None) -> QuerySet[Plan]:
    qs = scope(actor, Plan.objects.select_related("owner", "place"))
    if year:
        qs = qs.filter(year=year)
    return qs.order_by("-year", "title")


def plan_get(*, actor: Actor, pk: int) -> Plan:
    return get_visible(actor, Plan.objects.select_related("owner", "place"), pk=pk)


def task_get(*, actor: Actor, pk: int) -> PlanNode:
    return get_visible(
        actor,
        PlanNode.objects.select_related("plan__owner", "plan__place", "lead_unit", "parent"),
        pk=pk,
        kind=NodeKind.TASK,
    )


def node_get(*, actor: Actor, pk: int) -> PlanNode:
    """A task or a section the actor may see."""
    return get_visible(actor, PlanNode.objects.select_related("plan__owner", "plan__place", "parent"), pk=pk)


def draft_get(*, actor: Actor, pk: int) -> ImportDraft:
    return get_visible(actor, ImportDraft.objects.select_related("owner__place"), pk=pk)


def draft_list(*, actor: Actor) -> QuerySet[ImportDraft]:
    return scope(actor, ImportDraft.objects.all()).order_by("-created_at").only("pk", "filename", "created_at")


def task_reports(*, actor: Actor, task: PlanNode) -> QuerySet[ProgressReport]:
    return (
        scope(actor, ProgressReport.objects.filter(task=task))
        .select_related("organization", "reported_by", "target")
        .prefetch_related("attachments")
    )


def report_get(*, actor: Actor, pk: int) -> ProgressReport:
    return get_visible(actor, ProgressReport.objects.select_related("task__plan"), pk=pk)


def my_tasks(*, actor: Actor) -> list[NodeView]:
    """The actor's unit's tasks in every active plan, with their progress and status."""
    plans = Plan.objects.filter(
        pk__in=scope(actor, PlanNode.objects.filter(kind=NodeKind.TASK)).values("plan_id"), status="active"
    ).select_related("owner", "place")
    visible = set(scope(actor, PlanNode.objects.filter(kind=NodeKind.TASK)).values_list("pk", flat=True))
    result = []
    for plan in plans:
        result.extend(t for t in plan_progress(plan).tasks if t.node.pk in visible)
    return result


# --- Progress ------------------------------------------------------------------------------
@dataclass
class TargetView:
    target: Target
    current: Decimal | None
    ratio: Decimal
    met: bool
    records_url: str = ""
    measure_label: str = ""

    @property
    def percent(self) -> int:
        return int(self.ratio * 100)


@dataclass
class NodeView:
    node: PlanNode
    depth: int
    progress: Decimal = ZERO
    status: str = ""
    targets: list[TargetView] = field(default_factory=list)
    units: list[Organization] = field(default_factory=list)
    last_report: date | None = None
    latest_percent: Decimal | None = None
    children: list[NodeView] = field(default_factory=list)

    @property
    def percent(self) -> int:
        return int(self.progress * 100)

    @property
    def status_label(self) -> str:
        return str(Status(self.status).label) if self.status else ""

    @property
    def may_remind(self) -> bool:
        """A task not yet done, with units to remind."""
        return self.status != Status.DONE and bool(self.units)

    @property
    def is_live(self) -> bool:
        return bool(self.targets) and all(t.target.is_live for t in self.targets)


@dataclass
class PlanView:
    plan: Plan
    roots: list[NodeView]
    nodes: list[NodeView]  # depth first, document order
    progress: Decimal
    today: date

    @property
    def tasks(self) -> list[NodeView]:
        return [n for n in self.nodes if n.node.is_task]

    @property
    def percent(self) -> int:
        return int(self.progress * 100)

    def by_status(self) -> dict[str, int]:
        counts = {s.value: 0 for s in Status}
        for t in self.tasks:
            counts[t.status] += 1
        return counts


def plan_progress(plan: Plan, *, today: date | None = None) -> PlanView:
    """The whole tree of a plan with every node's progress, every task's status and target values.

    Seven queries whatever the plan's size (nodes, targets, units, co-unit links, two over reports),
    plus one per live target's measure.
    """
    if today is None:
        # A closed plan is judged as it stood on the day it was closed.
        today = timezone.localdate(plan.closed_at) if plan.is_closed and plan.closed_at else timezone.localdate()
    # Plain queries grouped in Python rather than prefetch_related: on a plan of thousands of tasks the
    # prefetch machinery costs more than the queries themselves (see bench/plans/).
    nodes = list(PlanNode.objects.filter(plan=plan).defer("text").order_by("position"))
    targets_of: dict[int, list[Target]] = defaultdict(list)
    for t in Target.objects.filter(task__plan=plan).order_by("pk"):
        targets_of[t.task_id].append(t)
    through = PlanNode.co_units.through.objects.filter(plannode__plan=plan)
    leads = PlanNode.objects.filter(plan=plan).values("lead_unit_id")
    orgs = organizations_named(
        set(through.values_list("organization_id", flat=True)) | set(leads.values_list("lead_unit_id", flat=True))
    )
    co_units_of: dict[int, list[Organization]] = defaultdict(list)
    for node_id, org_id in through.values_list("plannode_id", "organization_id"):
        co_units_of[node_id].append(orgs[org_id])
    for n in nodes:
        n.plan = plan
        n.lead_unit = orgs.get(n.lead_unit_id)
    reports = ProgressReport.objects.filter(task__plan=plan)
    # Walking the reports oldest first leaves the latest value in each dict; dates come from one aggregate,
    # which spares converting every report's timestamp.
    latest_percent: dict[int, Decimal] = {}
    latest_value: dict[int, Decimal] = {}
    for task_id, target_id, percent, value in reports.order_by("created_at", "pk").values_list(
        "task_id", "target_id", "percent", "value"
    ):
        if percent is not None:
            latest_percent[task_id] = percent
        if target_id is not None and value is not None:
            latest_value[target_id] = value
    last_report: dict[int, date] = {
        task_id: timezone.localdate(last)
        for task_id, last in reports.values("task_id").annotate(last=Max("created_at")).values_list("task_id", "last")
    }

    views: dict[int, NodeView] = {}
    roots: list[NodeView] = []
    ordered: list[NodeView] = []
    children_of: dict[int | None, list[NodeView]] = defaultdict(list)
    for n in nodes:
        view = NodeView(node=n, depth=0)
        views[n.pk] = view
        children_of[n.parent_id].append(view)
    for n in nodes:
        views[n.pk].children = children_of.get(n.pk, [])

    def walk(items: list[NodeView], depth: int):
        for v in items:
            v.depth = depth
            ordered.append(v)
            walk(v.children, depth + 1)

    roots = children_of.get(None, [])
    walk(roots, 0)

    def target_view(t: Target) -> TargetView:
        if t.is_live:
            frozen = plan.is_closed and t.closed_value is not None
            current = t.closed_value if frozen else compute_measure(t.measure_key, t.measure_filters)
            measure = get_measure(t.measure_key)
            return TargetView(
                t,
                current,
                target_ratio(t.comparator, t.quantity, current),
                target_met(t.comparator, t.quantity, current),
                measure_records_url(t.measure_key, t.measure_filters),
                str(measure.label) if measure else "",
            )
        current = latest_value.get(t.pk)
        return TargetView(
            t, current, target_ratio(t.comparator, t.quantity, current), target_met(t.comparator, t.quantity, current)
        )

    def counted(items: list[NodeView]):
        # The plan's text is kept with the plan but is not work: it weighs nothing in progress.
        return ((c.node.weight, c.progress) for c in items if c.node.kind != NodeKind.TEXT)

    for v in reversed(ordered):  # children before parents
        n = v.node
        v.targets = [target_view(t) for t in targets_of[n.pk]]
        if n.is_task:
            co_units = sorted(co_units_of[n.pk], key=lambda o: o.name)
            v.units = [u for u in [n.lead_unit, *co_units] if u is not None]
            v.latest_percent = latest_percent.get(n.pk)
            v.last_report = last_report.get(n.pk)
            v.progress = task_progress([tv.ratio for tv in v.targets], v.latest_percent)
            v.status = task_status(
                progress=v.progress,
                deadline=n.deadline or plan.period_end,
                start=plan.period_start,
                today=today,
                last_report=v.last_report,
                is_live=v.is_live,
                report_interval_days=plan.report_interval_days,
            )
        elif n.kind != NodeKind.TEXT:
            v.progress = weighted_progress(counted(v.children))
    progress = weighted_progress(counted(roots))
    return PlanView(plan=plan, roots=roots, nodes=ordered, progress=progress, today=today)


# --- Supervision per unit ------------------------------------------------------------------
@dataclass
class UnitRow:
    organization: Organization
    tasks: list[NodeView] = field(default_factory=list)

    def count(self, status: str) -> int:
        return sum(1 for t in self.tasks if t.status == status)

    @property
    def on_track(self) -> int:
        return self.count(Status.ON_TRACK) + self.count(Status.DONE)

    @property
    def at_risk(self) -> int:
        return self.count(Status.AT_RISK)

    @property
    def overdue(self) -> int:
        return self.count(Status.OVERDUE)

    @property
    def not_reported(self) -> int:
        return self.count(Status.NOT_REPORTED)


def supervision_by_unit(view: PlanView, *, only_org: int | None = None) -> list[UnitRow]:
    rows: dict[int, UnitRow] = {}
    for t in view.tasks:
        for u in t.units:
            if only_org is not None and u.pk != only_org:
                continue
            rows.setdefault(u.pk, UnitRow(u)).tasks.append(t)
    return sorted(rows.values(), key=lambda r: (-r.overdue, -r.not_reported, -r.at_risk, r.organization.name))


# --- Home pages: to-dos (待办) ---------------------------------------------------------------------
def _since(day: date | None):
    from datetime import datetime, time

    return datetime.combine(day, time.min, tzinfo=timezone.get_current_timezone()) if day else None


def worker_todos(actor: Actor) -> list:
    """Units and streets: tasks whose progress report is due, and late tasks. Offices: late tasks of their
    active plans, and imported drafts waiting to be checked and published."""
    from django.urls import reverse
    from django.utils.translation import gettext_lazy as _

    from kepu.core.home import Todo
    from kepu.core.roles import Role

    out = []
    if actor.role in (Role.UNIT_STAFF, Role.STREET_STAFF):
        tasks = my_tasks(actor=actor)
        due = [t for t in tasks if t.status == Status.NOT_REPORTED]
        late = [t for t in tasks if t.status == Status.OVERDUE]
        url = reverse("plans:my_tasks")
        oldest = min((t.node.effective_deadline for t in due + late), default=None)
        out.append(
            Todo(
                _("Plan tasks to report on"),
                len(due) + len(late),
                url,
                _since(oldest),
                overdue=len(late),
                overdue_url=url,
                key="plans-report",
            )
        )
    elif actor.role in (Role.DISTRICT_ADMIN, Role.CITY_ADMIN):
        for plan in plan_list(actor=actor).filter(status="active"):
            if not actor.is_city and plan.owner_id != actor.organization_id:
                continue
            late = [t for t in plan_progress(plan).tasks if t.status == Status.OVERDUE]
            url = reverse("plans:supervision", args=[plan.pk])
            out.append(
                Todo(
                    _("Late tasks in %(plan)s") % {"plan": plan.title},
                    len(late),
                    url,
                    _since(min((t.node.effective_deadline for t in late), default=None)),
                    overdue=len(late),
                    overdue_url=url,
                    key=f"plans-late-{plan.pk}",
                )
            )
        drafts = list(draft_list(actor=actor))
        out.append(
            Todo(
                _("Imported plans to check and publish"),
                len(drafts),
                reverse("plans:list"),
                min((d.created_at for d in drafts), default=None),
                key="plans-drafts",
            )
        )
    return out
