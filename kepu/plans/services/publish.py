"""A plan created and published from its corrected draft: tasks, responsible units, targets."""

from __future__ import annotations

from datetime import date

from django.db import transaction
from django.utils.translation import gettext as _

from kepu.core.actor import Actor
from kepu.core.audit import log_action
from kepu.core.errors import NotAllowed
from kepu.core.permissions import require
from kepu.plans.importer import PlanDraft, PlanImportError
from kepu.plans.importer.draft import NodeRole
from kepu.plans.importer.lines import first_sentence
from kepu.plans.models import ImportDraft, NodeKind, Plan, PlanNode, Target, TargetPeriod
from kepu.plans.permissions import PlanAction
from kepu.plans.services._common import PlanError, _import_message, _locked_draft
from kepu.plans.services.drafts import unit_candidates, unresolved_units

#: The longest a plan runs, in years: the 纲要 outlines span fifteen (2021–2035).
MAX_PLAN_YEARS = 15


def _plan_period(title: str, year, end_year) -> tuple[str, date, date]:
    """Check a plan's title and period: one year, or several (a five-year plan runs 2021–2025)."""
    title = (title or "").strip()
    if not title:
        raise PlanError(_("Give the plan a title."), code="title_required")
    if not isinstance(year, int) or not 2000 <= year <= 2100:
        raise PlanError(_("Give the year the plan is for."), code="year_required")
    if end_year in (None, ""):
        end_year = year
    if not isinstance(end_year, int) or not year <= end_year < year + MAX_PLAN_YEARS:
        raise PlanError(
            _("A plan runs from its first year over at most %(n)s years (an outline such as 2021–2035).")
            % {"n": MAX_PLAN_YEARS},
            code="invalid_period",
        )
    return title[:200], date(year, 1, 1), date(end_year, 12, 31)


@transaction.atomic
def plan_create(*, actor: Actor, title: str, year: int, end_year: int | None = None) -> Plan:
    """Start an empty plan, to be filled task by task (for an office without a document to import)."""
    owner = actor.organization
    if owner is None:
        raise NotAllowed()  # the policy's question needs the office's organization
    require(actor, PlanAction.IMPORT, Plan(owner=owner, place=owner.place))
    title, start, end = _plan_period(title, year, end_year)
    plan = Plan.objects.create(
        owner=owner,
        place=owner.place,
        title=title,
        year=year,
        period_start=start,
        period_end=end,
        created_by=actor.user,
    )
    log_action(actor, "kepu.plans.plan_created", plan, data={"title": title, "from": str(start), "to": str(end)})
    return plan


@transaction.atomic
def plan_publish(*, actor: Actor, draft: ImportDraft, title: str, year: int, end_year: int | None = None) -> Plan:
    """Turn a corrected draft into a plan, all at once: tree, units, targets. The draft goes."""
    draft = _locked_draft(actor, draft)
    title, period_start, period_end = _plan_period(title, year, end_year)
    pending = unresolved_units(draft)
    if pending:
        names = "、".join(dict.fromkeys(p[2] for p in pending))
        raise PlanError(
            _("Pick an organization (or leave it out) for: %(names)s") % {"names": names},
            code="units_unresolved",
            data={"unresolved": [p[2] for p in pending]},
        )
    try:
        parsed = PlanDraft.from_dict(draft.data)
    except PlanImportError as exc:
        raise PlanError(_import_message(exc), code=exc.code) from None
    owner = draft.owner
    plan = Plan.objects.create(
        owner=owner,
        place=owner.place,
        title=title,
        year=year,
        period_start=period_start,
        period_end=period_end,
        source_name=draft.filename,
        source_text="\n".join(parsed.source_lines),
        created_by=actor.user,
    )
    valid_ids = set(unit_candidates(owner).values_list("pk", flat=True))
    counter = {"position": 0, "tasks": 0, "text": 0, "targets": 0}
    index = parsed.index()
    kinds = {NodeRole.TASK: NodeKind.TASK, NodeRole.TEXT: NodeKind.TEXT, NodeRole.SECTION: NodeKind.SECTION}

    def add(parent, kind, *, marker="", title, text, units_text="", lines=(None, None), targets=()):
        counter["position"] += 1
        row = PlanNode.objects.create(
            plan=plan,
            parent=parent,
            kind=kind,
            position=counter["position"],
            marker=marker[:20],
            title=title[:500],
            text=text,
            units_text=units_text[:500],
            source_line_start=lines[0],
            source_line_end=lines[1],
        )
        # Every target shown on the review page is kept where it was shown; a baseline without its
        # target is not a target. A task's targets count in its progress; those of the plan's text
        # and of sections are the plan's goals at that level, shown with it.
        for t in targets:
            if not t.is_baseline:
                _target_from_draft(row, t, plan)
                counter["targets"] += 1
        return row

    if parsed.preamble.strip():
        counter["text"] += 1
        add(
            None,
            NodeKind.TEXT,
            title=first_sentence(parsed.preamble)[:200] or parsed.preamble[:200],
            text=parsed.preamble,
            lines=parsed.preamble_lines or (None, None),
            targets=parsed.preamble_targets,
        )

    def build(nodes, parent):
        for node in nodes:
            if node.role == NodeRole.POINT:
                continue
            kind = kinds[node.role]
            points = parsed.points_of(node)
            text = "\n".join([node.text, *(f"{p.marker}{p.text}" for p in points)]) if points else node.text
            units = parsed.units_of(node, index) if kind == NodeKind.TASK else node.units
            row = add(
                parent,
                kind,
                marker=node.marker,
                title=node.title or node.text[:500],
                text=text,
                units_text=units.raw if units and kind != NodeKind.TEXT else "",
                lines=(node.line_start, node.line_end),
                targets=parsed.targets_of(node),
            )
            if kind == NodeKind.TASK:
                counter["tasks"] += 1
                _attach_units(row, draft.matches.get(node.key, []), valid_ids)
            elif kind == NodeKind.TEXT:
                counter["text"] += 1
            build(node.children, row)

    build(parsed.nodes, None)
    log_action(
        actor,
        "kepu.plans.plan_published",
        plan,
        data={"title": plan.title, "year": year, "to": str(period_end), "source": draft.filename, **counter},
    )
    draft.delete()
    return plan


def lead_row(rows: list[dict]) -> int | None:
    """Which of a task's unit rows leads it: the one marked lead, else the first with an organization chosen."""
    marked = next((i for i, row in enumerate(rows) if row.get("lead") and row.get("choice")), None)
    if marked is not None:
        return marked
    return next((i for i, row in enumerate(rows) if row.get("choice")), None)


def _attach_units(task: PlanNode, rows: list[dict], valid_ids: set[int]) -> None:
    chosen: list[int] = []
    for row in rows:
        for org_id in row.get("choice") or []:
            if org_id in valid_ids and org_id not in chosen:
                chosen.append(org_id)
    if not chosen:
        return
    leading = lead_row(rows)
    lead = next((o for o in rows[leading]["choice"] if o in valid_ids), None) if leading is not None else None
    task.lead_unit_id = lead if lead is not None else chosen[0]
    task.save(update_fields=["lead_unit"])
    task.co_units.set([o for o in chosen if o != task.lead_unit_id])


def _target_from_draft(task: PlanNode, t, plan: Plan) -> Target:
    # The period as read (and confirmed on the review page); unstated means over the whole plan.
    # "到2025年…" names its own year; otherwise a target is due when the plan ends.
    period = t.period if t.period in TargetPeriod.values else TargetPeriod.TOTAL
    return Target.objects.create(
        task=task,
        label=(t.label or t.text)[:200],
        quantity=t.value,
        unit_of_measure=t.unit[:20],
        comparator=t.comparator,
        period=period,
        due_date=date(t.by_year, 12, 31) if t.by_year else plan.period_end,
        text=t.text[:300],
        baseline=t.baseline,
        baseline_year=t.baseline_year,
    )
