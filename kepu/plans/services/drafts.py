"""Import: a plan document uploaded, parsed outside any transaction, and corrected as a draft."""

from __future__ import annotations

from typing import TYPE_CHECKING

from django.db import transaction
from django.utils.translation import gettext as _

from kepu.core.actor import Actor
from kepu.core.audit import log_action
from kepu.core.errors import NotAllowed
from kepu.core.permissions import require
from kepu.orgs.choices import OrgKind
from kepu.orgs.selectors import organizations_of_kind
from kepu.plans.importer import PlanDraft, PlanImportError, match_units, parse_upload
from kepu.plans.importer.draft import NodeRole
from kepu.plans.models import ImportDraft, Plan, TargetPeriod
from kepu.plans.permissions import PlanAction
from kepu.plans.services._common import UNIT_KINDS, PlanError, _import_message, _locked_draft

if TYPE_CHECKING:
    from kepu.orgs.models import Organization


#: Largest plan document accepted (a plan is a few pages).
MAX_UPLOAD_BYTES = 5 * 1024 * 1024
#: What a person picks to leave a written unit name out of the plan.
SKIP = "skip"


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
    if owner is None:
        raise NotAllowed()  # the policy's question needs the office's organization
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
