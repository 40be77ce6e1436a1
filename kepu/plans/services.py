"""Every write about plans: import drafts, publishing, tasks, targets, reports, reminders.

Each service locks what it changes, checks the policy, writes an audit entry and sends its
signal after commit.
"""

from __future__ import annotations

from datetime import date
from decimal import Decimal, InvalidOperation
from typing import TYPE_CHECKING

from django.db import transaction
from django.db.models import Q
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _

from kepu.core.actor import Actor
from kepu.core.audit import log_action
from kepu.core.errors import Conflict, DomainError, NotAllowed
from kepu.core.permissions import require
from kepu.core.roles import Role
from kepu.orgs.choices import OrgKind
from kepu.orgs.selectors import organizations_of_kind
from kepu.plans.importer import PlanDraft, PlanImportError, match_units, parse_upload
from kepu.plans.importer.draft import NodeRole
from kepu.plans.importer.lines import first_sentence
from kepu.plans.measures import filter_options, get_measure
from kepu.plans.models import (
    Comparator,
    ImportDraft,
    Milestone,
    NodeKind,
    Plan,
    PlanNode,
    PlanStatus,
    ProgressReport,
    ReportAttachment,
    Target,
    TargetPeriod,
)
from kepu.plans.permissions import PlanAction
from kepu.plans.workflow import PLAN

if TYPE_CHECKING:
    from kepu.orgs.models import Organization

#: Largest plan document accepted (a plan is a few pages).
MAX_UPLOAD_BYTES = 5 * 1024 * 1024
#: Largest evidence file accepted with a report.
MAX_ATTACHMENT_BYTES = 20 * 1024 * 1024
ATTACHMENT_SUFFIXES = (".pdf", ".jpg", ".jpeg", ".png", ".docx", ".xlsx", ".txt", ".doc", ".xls", ".zip")

#: Organization kinds a plan's responsible units are matched against.
UNIT_KINDS = (OrgKind.MEMBER_UNIT, OrgKind.DISTRICT_OFFICE, OrgKind.STREET_OFFICE)
#: What a person picks to leave a written unit name out of the plan.
SKIP = "skip"
#: The longest a plan runs, in years: the 纲要 outlines span fifteen (2021–2035).
MAX_PLAN_YEARS = 15


class PlanError(DomainError):
    code = "plan_invalid"


# --- Import: upload, correct, publish ---------------------------------------------------------
def unit_candidates(owner: Organization):
    """The organizations a plan of ``owner`` may name: units and offices of its district."""
    return organizations_of_kind(UNIT_KINDS, under_path=owner.place.path).order_by("kind", "name")


def _expand_group(group: dict, orgs: list[Organization]) -> list[int]:
    kinds = set(group["kinds"])
    suffixes = tuple(group.get("name_suffixes") or ())
    return [
        o.pk
        for o in orgs
        if o.kind in kinds
        and (
            not suffixes
            or o.name.endswith(suffixes)
            or (o.short_name or "").endswith(suffixes)
            or (o.kind == OrgKind.STREET_OFFICE and o.place.name.endswith(suffixes))
        )
    ]


def _initial_matches(draft: PlanDraft, orgs: list[Organization], known: dict | None = None) -> dict:
    """For each task key: the importer's matches with the organizations chosen so far.

    Tasks already in ``known`` keep their rows (and the person's choices in them), so a
    node flipped to text and back, or bullets switched off and on, loses nothing.
    """
    result = dict(known or {})
    index = draft.index()
    wanted = {node.key: draft.units_of(node, index) for node in draft.tasks() if node.key not in result}
    # Each written name is matched once, however many tasks name it (a plan names 区科协 in most of them).
    names = list(dict.fromkeys(n.strip() for units in wanted.values() if units for n in units.names))
    matched: dict[str, list] = {}
    for match in match_units(names, orgs):
        matched.setdefault(match.raw, []).append(match)
    for key, units in wanted.items():
        if units is None:
            result[key] = []
            continue
        lead = set(units.lead)
        rows = []
        for match in (m for name in units.names for m in matched.get(name.strip(), [])):
            row = match.to_dict()
            row["lead"] = match.raw in lead
            if match.status == "matched":
                row["choice"] = [match.organization_id]
            elif match.status == "group":
                row["choice"] = _expand_group(row["group"], orgs)
            else:
                row["choice"] = None
            rows.append(row)
        result[key] = rows
    return result


def task_keys(data: dict) -> list[str]:
    """The keys of the draft's current tasks, in document order (from its stored JSON)."""
    if any("role" not in node for node in data.get("nodes", [])):
        # Stored before roles were: read it to give its nodes their roles.
        return [t.key for t in PlanDraft.from_dict(data).tasks()]
    keys: list[str] = []

    def walk(nodes):
        for node in nodes:
            if node.get("role") == NodeRole.TASK:
                keys.append(node["key"])
            walk(node.get("children", []))

    walk(data.get("nodes", []))
    return keys


#: A .docx unpacks to at most this much XML (a work plan of a few pages is well under 1 MB).
MAX_DOCX_UNPACKED_BYTES = 16 * 1024 * 1024


def _docx_text_length(data: bytes) -> int:
    """Characters of text in a .docx body, counted while streaming its XML (no tree, nothing kept)."""
    import io
    import zipfile
    from xml.parsers import expat

    count = 0

    def chars(text):
        nonlocal count
        count += len(text)

    parser = expat.ParserCreate()
    parser.CharacterDataHandler = chars
    with zipfile.ZipFile(io.BytesIO(data)) as zf, zf.open("word/document.xml") as fh:
        while chunk := fh.read(1 << 16):
            parser.Parse(chunk, False)
        parser.Parse(b"", True)
    return count


def _parse_upload(data: bytes, filename: str) -> PlanDraft:
    """The importer's draft of an upload, with every way a file can be broken turned into a clear refusal.

    Runs outside any transaction (the caller's first write comes after it), so a slow document never
    holds the database's write lock; a .docx is measured like text before it is parsed.
    """
    import io
    import zipfile
    from pathlib import PurePath
    from xml.parsers.expat import ExpatError

    from kepu.core.uploads import UploadError, check_zip
    from kepu.plans.importer.parser import MAX_INPUT_CHARS

    unreadable = _("The document could not be read. Save it again as .docx and retry.")
    try:
        if PurePath(filename).suffix.lower() == ".docx":
            check_zip(io.BytesIO(data), max_uncompressed=MAX_DOCX_UNPACKED_BYTES, code="input_too_large")
            if _docx_text_length(data) > MAX_INPUT_CHARS:
                raise PlanError(_("The document is too long for a work plan."), code="input_too_large")
        return parse_upload(data, filename)
    except PlanImportError as exc:
        raise PlanError(_import_message(exc), code=exc.code) from None
    except UploadError as exc:
        if exc.code == "archive_unreadable":
            raise PlanError(unreadable, code="unreadable_document") from None
        raise PlanError(_("The document is too long for a work plan."), code="input_too_large") from None
    except (zipfile.BadZipFile, KeyError, ValueError, SyntaxError, ExpatError, RecursionError, OSError):
        # A broken document.xml (lxml's XMLSyntaxError is a SyntaxError), a missing part, a bad number.
        raise PlanError(unreadable, code="unreadable_document") from None


def draft_create(*, actor: Actor, data: bytes, filename: str) -> ImportDraft:
    """Parse an uploaded plan into a draft for the actor to correct. Nothing of a plan is saved.

    The document is parsed and its units matched before the transaction opens: only the draft's
    one insert holds the write lock.
    """
    owner = actor.organization
    probe = Plan(owner=owner, place=owner.place if owner else None)
    if owner is None or not actor.has_role(Role.DISTRICT_ADMIN):
        raise NotAllowed()
    require(actor, PlanAction.IMPORT, probe)
    if len(data) > MAX_UPLOAD_BYTES:
        raise PlanError(_("The file is larger than 5 MB; a work plan is a few pages."), code="input_too_large")
    draft = _parse_upload(data, filename)
    orgs = list(unit_candidates(owner))
    matches = _initial_matches(draft, orgs)
    with transaction.atomic():
        row = ImportDraft.objects.create(
            owner=owner,
            created_by=actor.user,
            filename=filename[:200],
            data=draft.to_dict(),
            matches=matches,
        )
        log_action(
            actor,
            "kepu.plans.draft_created",
            row,
            place=owner.place,
            data={"filename": filename, "tasks": len(row.matches)},
        )
    return row


def _import_message(exc: PlanImportError) -> str:
    messages = {
        "empty_input": _("The file is empty."),
        "not_a_plan": _("No numbered sections or tasks were found: is this a work plan?"),
        "unreadable_document": _("The document could not be read. Save it again as .docx and retry."),
        "undecodable_text": _("The text file is neither UTF-8 nor GB18030 (GBK). Save it as UTF-8 and retry."),
        "input_too_large": _("The document is too long for a work plan."),
        "unsupported_format": _("Plans are read from .docx or .txt files. Save the document as .docx first."),
        "invalid_draft": _("The draft is damaged. Upload the document again."),
        "too_many_parts": _(
            "The document has more numbered parts than a work plan has (at most 1,000). Import the plan itself."
        ),
        "unsupported_encoding": _(
            "The text file is in traditional Chinese (Big5), which is not read. Save it as UTF-8 and retry."
        ),
    }
    return messages.get(exc.code, exc.message)


def _locked_draft(actor: Actor, draft: ImportDraft) -> ImportDraft:
    draft = ImportDraft.objects.select_for_update().filter(pk=draft.pk).first()
    if draft is None:
        # Published or discarded meanwhile (a second click, a second tab).
        raise Conflict(_("This draft was already published or discarded."), code="draft_gone")
    require(actor, PlanAction.MANAGE, draft)
    return draft


@transaction.atomic
def draft_choose_unit(*, actor: Actor, draft: ImportDraft, task_key: str, index: int, choice: str) -> ImportDraft:
    """Set which organization a written unit name means (an organization id), or leave it out (``skip``)."""
    draft = _locked_draft(actor, draft)
    rows = draft.matches.get(task_key)
    if rows is None or not 0 <= index < len(rows):
        raise PlanError(_("That unit is not in the draft."), code="unknown_unit")
    rows[index]["choice"] = _checked_choice(draft, choice)
    rows[index]["by"] = "person"
    draft.save(update_fields=["matches"])
    return draft


def _checked_choice(draft: ImportDraft, choice: str) -> list[int]:
    """A unit choice as stored: [] to leave the unit out, [organization id] for one of the district's units."""
    if choice == SKIP:
        return []
    try:
        org_id = int(choice)
    except (TypeError, ValueError):
        raise PlanError(_("Pick an organization from the list."), code="invalid_choice") from None
    if not unit_candidates(draft.owner).filter(pk=org_id).exists():
        raise PlanError(_("Pick an organization from the list."), code="invalid_choice")
    return [org_id]


@transaction.atomic
def draft_resolve_name(*, actor: Actor, draft: ImportDraft, name: str, choice: str) -> int:
    """Say once which organization a written name means, for every task that names it.

    Applies to each place the name was not recognized, and to places this was said for
    before; a choice made on one task alone stays. Returns how many places changed.
    """
    draft = _locked_draft(actor, draft)
    chosen = _checked_choice(draft, choice)
    current = set(task_keys(draft.data))
    changed = 0
    for key, rows in draft.matches.items():
        if key not in current:
            continue
        for row in rows:
            if row.get("part") == name and row.get("status") != "matched" and row.get("by") != "person":
                row["choice"] = list(chosen)
                row["by"] = "name"
                changed += 1
    if not changed:
        raise PlanError(_("That unit is not in the draft."), code="unknown_unit")
    draft.save(update_fields=["matches"])
    return changed


@transaction.atomic
def draft_set_lead(*, actor: Actor, draft: ImportDraft, task_key: str, index: int) -> ImportDraft:
    """Make the unit at ``index`` the task's lead unit (牵头单位); the others become co-units."""
    draft = _locked_draft(actor, draft)
    rows = draft.matches.get(task_key)
    if rows is None or not 0 <= index < len(rows):
        raise PlanError(_("That unit is not in the draft."), code="unknown_unit")
    if len(rows[index].get("choice") or []) != 1:
        # A group ("各成员单位") or an unmatched or left-out name cannot lead a task: one organization must.
        raise PlanError(_("Only a unit matched to one organization can lead the task."), code="invalid_lead")
    for i, row in enumerate(rows):
        row["lead"] = i == index
    draft.save(update_fields=["matches"])
    return draft


@transaction.atomic
def draft_edit_title(*, actor: Actor, draft: ImportDraft, task_key: str, title: str) -> ImportDraft:
    """Correct the title of a section or task in the draft (the document's text stays as it was)."""
    draft = _locked_draft(actor, draft)
    title = (title or "").strip()
    if not title:
        raise PlanError(_("A task needs a title."), code="title_required")

    def find(nodes):
        for node in nodes:
            if node.get("key") == task_key:
                return node
            found = find(node.get("children", []))
            if found is not None:
                return found
        return None

    node = find(draft.data.get("nodes", []))
    if node is None:
        raise PlanError(_("That part is not in the draft."), code="unknown_node")
    node["title"] = title[:500]
    draft.save(update_fields=["data"])
    return draft


def _edit_parsed(actor: Actor, draft: ImportDraft, change) -> tuple[ImportDraft, PlanDraft]:
    """Lock the draft, apply ``change`` to its parsed form, store it and the matches of new tasks."""
    draft = _locked_draft(actor, draft)
    try:
        parsed = PlanDraft.from_dict(draft.data)
        change(parsed)
    except PlanImportError as exc:
        raise PlanError(_("That part is not in the draft."), code="unknown_node") from exc
    draft.data = parsed.to_dict()
    draft.matches = _initial_matches(parsed, list(unit_candidates(draft.owner)), known=draft.matches)
    draft.save(update_fields=["data", "matches"])
    return draft, parsed


#: What a person may say a node is: a task, the plan's text, or as the importer read it.
ROLE_CHOICES = (NodeRole.TASK, NodeRole.TEXT, "auto")


@transaction.atomic
def draft_set_role(*, actor: Actor, draft: ImportDraft, key: str, role: str) -> ImportDraft:
    """Make a part of the draft (and everything below it) a task or the plan's text, or as read ("auto")."""
    if role not in ROLE_CHOICES:
        raise PlanError(_("Choose task or text."), code="invalid_choice")
    draft, _parsed = _edit_parsed(actor, draft, lambda p: p.set_role(key, None if role == "auto" else role))
    return draft


@transaction.atomic
def draft_set_bullets(*, actor: Actor, draft: ImportDraft, as_tasks: bool) -> ImportDraft:
    """Say whether the document's "——" items are tasks of their own (an outline's measures) or points."""
    draft, _parsed = _edit_parsed(actor, draft, lambda p: p.set_bullets_as_tasks(as_tasks))
    return draft


#: Not a target after all: the person takes it out of the draft.
DROP = "drop"


@transaction.atomic
def draft_set_target(
    *, actor: Actor, draft: ImportDraft, key: str, index: int, period: str, by_year: int | None = None
) -> ImportDraft:
    """Confirm or correct a target's period (whole plan, per year, by a year …), or take it out (``drop``).

    ``key`` is the node's key, or ``preamble`` for a target of the text above the first section.
    """
    if period != DROP and period not in TargetPeriod.values:
        raise PlanError(_("Choose the period the target is for."), code="invalid_period")
    if period == TargetPeriod.BY_YEAR and (not isinstance(by_year, int) or not 2000 <= by_year <= 2100):
        raise PlanError(_("Give the year by which the target is to be reached."), code="year_required")

    def change(parsed: PlanDraft) -> None:
        node = None if key == "preamble" else parsed.find(key)
        targets = parsed.preamble_targets if key == "preamble" else (node.targets if node else None)
        if targets is None or not 0 <= index < len(targets):
            raise PlanImportError("invalid_draft", f"no target {index} at {key!r}")
        if period == DROP:
            del targets[index]
            return
        target = targets[index]
        target.period = period
        target.is_baseline = False
        if period == TargetPeriod.BY_YEAR:
            target.by_year = by_year
        elif period == TargetPeriod.TOTAL:
            target.by_year = None  # over the whole plan: due when the plan ends

    draft, _parsed = _edit_parsed(actor, draft, change)
    return draft


@transaction.atomic
def draft_discard(*, actor: Actor, draft: ImportDraft) -> None:
    draft = _locked_draft(actor, draft)
    log_action(actor, "kepu.plans.draft_discarded", draft, place=draft.owner.place)
    draft.delete()


def unresolved_units(draft: ImportDraft) -> list[tuple[str, int, str]]:
    """``(task key, index, name)`` of every written unit of a task still waiting for a person to pick."""
    return [
        (key, i, row["part"])
        for key in task_keys(draft.data)
        for i, row in enumerate(draft.matches.get(key, []))
        if row.get("choice") is None
    ]


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
    if owner is None or not actor.has_role(Role.DISTRICT_ADMIN):
        raise NotAllowed()
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


# --- Tasks and targets --------------------------------------------------------------------
def _co_unit_ids(task: PlanNode) -> list[int]:
    # From the link table alone: the related manager would join organizations and places only to sort them.
    return list(PlanNode.co_units.through.objects.filter(plannode_id=task.pk).values_list("organization_id", flat=True))


def _locked_task(actor: Actor, task: PlanNode, action: str) -> PlanNode:
    task = PlanNode.objects.select_for_update().select_related("plan").get(pk=task.pk)
    require(actor, PlanAction.VIEW, task)
    _ensure_open(task.plan)
    require(actor, action, task)
    return task


def _decimal(value, field: str) -> Decimal | None:
    if value in (None, ""):
        return None
    try:
        result = Decimal(str(value))
    except InvalidOperation:
        raise PlanError(_("%(field)s must be a number.") % {"field": field}, code="invalid_number") from None
    if not result.is_finite() or result < 0:
        raise PlanError(_("%(field)s must be a number of zero or more.") % {"field": field}, code="invalid_number")
    return result


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


# --- Progress reports ---------------------------------------------------------------------
@transaction.atomic
def report_create(
    *, actor: Actor, task: PlanNode, text: str, percent=None, target: Target | None = None, value=None, files=()
) -> ProgressReport:
    """A responsible unit reports progress on its task, with evidence attached."""
    task = _locked_task(actor, task, PlanAction.REPORT)
    text = (text or "").strip()
    if not text:
        raise PlanError(_("Say what was done."), code="text_required")
    pct = _decimal(percent, _("Progress"))
    if pct is not None and pct > 100:
        raise PlanError(_("Progress is a percentage from 0 to 100."), code="invalid_percent")
    val = _decimal(value, _("Value"))
    if target is not None and target.task_id != task.pk:
        raise PlanError(_("That target belongs to another task."), code="invalid_target")
    if target is not None and target.is_live:
        raise PlanError(
            _("This target is counted from the platform's records; it is not reported."), code="target_is_live"
        )
    if val is not None and target is None:
        raise PlanError(_("Say which target the value is for."), code="target_required")
    files = list(files)
    for f in files:
        if f.size > MAX_ATTACHMENT_BYTES:
            raise PlanError(_("%(name)s is larger than 20 MB.") % {"name": f.name}, code="attachment_too_large")
        if not f.name.lower().endswith(ATTACHMENT_SUFFIXES):
            raise PlanError(
                _("%(name)s is not a document or picture we accept.") % {"name": f.name}, code="attachment_type"
            )
    today = timezone.localdate()
    report = ProgressReport.objects.create(
        task=task,
        organization_id=actor.organization_id,
        reported_by=actor.user,
        percent=pct,
        target=target,
        value=val,
        text=text,
        on_time=today <= task.effective_deadline,
    )
    for f in files:
        ReportAttachment.objects.create(report=report, file=f, name=f.name[:200], size=f.size)
    log_action(
        actor,
        "kepu.plans.progress_reported",
        report,
        place=task.plan.place,
        data={
            "task": task.pk,
            "percent": str(pct) if pct is not None else None,
            "target": target.pk if target else None,
            "value": str(val) if val is not None else None,
            "attachments": [f.name for f in files],
        },
    )
    return report


@transaction.atomic
def report_mark(*, actor: Actor, report: ProgressReport, mark: int) -> ProgressReport:
    """The office marks a report's quality (0–5); the mark counts in the evaluation."""
    report = ProgressReport.objects.select_for_update().select_related("task__plan").get(pk=report.pk)
    require(actor, PlanAction.VIEW, report)
    _ensure_open(report.task.plan)
    require(actor, PlanAction.MARK, report)
    if not isinstance(mark, int) or not 0 <= mark <= 5:
        raise PlanError(_("A quality mark is a whole number from 0 to 5."), code="invalid_mark")
    old = report.quality_mark
    report.quality_mark = mark
    report.marked_by = actor.user
    report.save(update_fields=["quality_mark", "marked_by"])
    log_action(actor, "kepu.plans.report_marked", report, place=report.task.plan.place, data={"from": old, "to": mark})
    return report


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


def _ensure_open(plan: Plan) -> None:
    if plan.status == PlanStatus.CLOSED:
        raise PlanError(_("This plan is closed; reopen it to change anything."), code="plan_closed", status=409)


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
