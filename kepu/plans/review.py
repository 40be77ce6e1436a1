"""What the import review shows of a draft: its parts page by page, targets, units, warnings.

The web page and the API read a draft through this module, so both say the same thing in the
same words: warnings in the reader's language (the importer writes codes and data, not
sentences for people), each target's period as it will be published, and each written unit
name that still needs a choice listed once, however many tasks name it.
"""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass, field

from django.core.paginator import Paginator
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from kepu.plans import services
from kepu.plans.importer import PlanDraft
from kepu.plans.importer.draft import NodeRole
from kepu.plans.importer.numbers import format_quantity
from kepu.plans.models import ImportDraft, TargetPeriod

#: Parts of the draft shown on one page of the review (a plan has tens; an outline a few hundred).
PAGE_SIZE = 40
#: How alike a written name and an organization's must be (0–1) before the organization is pre-selected
#: for it. Below this the person picks: a wrong unit one click away is worse than an empty choice.
PRESELECT_SCORE = 0.85

WARNINGS = {
    "no_title": gettext_lazy("No title was found above the first section."),
    "numbering_gap": gettext_lazy("%(marker)s comes where number %(expected)s was expected."),
    "mixed_punctuation": gettext_lazy("%(marker)s is written with “%(used)s” where the others use “%(usual)s”."),
    "missing_units": gettext_lazy("%(marker)s%(title)s names no responsible unit."),
    "units_line_moved": gettext_lazy(
        "A 责任单位 line follows an item that names its own units; it was given to the heading %(marker)s."
    ),
    "units_twice": gettext_lazy("%(marker)s names its units twice: in a tail and on a 责任单位 line."),
}


def warning_text(warning: dict) -> str:
    """A warning of the importer in the reader's language (its English message if the code is new)."""
    template = WARNINGS.get(warning.get("code", ""))
    if template is None:
        return str(warning.get("message", ""))
    try:
        return str(template) % (warning.get("data") or {})
    except (KeyError, TypeError, ValueError):
        # A draft stored before warnings carried their data: say what kind of thing it is.
        return str(template) % dict.fromkeys(("marker", "expected", "used", "usual", "title"), "")


def dom_id(key: str) -> str:
    """An element id for a node: "1.1" -> "n-1-1", "11" -> "n-11" (slugify made both "11")."""
    return "n-" + key.replace(".", "-")


def period_text(period: str | None, by_year: int | None) -> str:
    """A target's period as the plan will have it."""
    if period is None:
        return _("over the whole plan (the text does not say)")
    if period == TargetPeriod.BY_YEAR and by_year:
        return _("by %(year)s") % {"year": by_year}
    try:
        return str(TargetPeriod(period).label)
    except ValueError:
        return period


@dataclass
class TargetRow:
    key: str  # the part of the draft the target stands in (a point's, when folded into its task)
    index: int  # its place among that part's targets
    label: str
    comparator: str
    value: str  # as plans write it: 2.5亿
    unit: str
    text: str
    period: str  # the period code it will be published with ("total" when the text does not say)
    by_year: int | None
    period_text: str
    stated: bool  # the text said the period (else "over the whole plan" is the default)
    baseline: str = ""
    baseline_year: int | None = None
    is_baseline: bool = False


@dataclass
class UnitRow:
    index: int
    part: str
    status: str
    method: str
    lead: bool
    chosen: list[int] | None
    chosen_names: list[str]
    group: dict | None
    pending: bool
    skipped: bool


@dataclass
class NodeRow:
    key: str
    dom: str
    depth: int
    kind: str
    marker: str
    title: str
    text: str
    role: str
    plan_text: bool
    role_choice: str | None
    line_start: int
    line_end: int
    targets: list[TargetRow] = field(default_factory=list)
    units: list[UnitRow] = field(default_factory=list)
    points: int = 0
    is_preamble: bool = False
    has_parts: bool = False  # numbered parts below it (a heading), so a choice applies to all of them
    roles_below: frozenset[str] = frozenset()  # the roles of the parts below a heading

    @property
    def is_task(self) -> bool:
        return self.role == NodeRole.TASK

    @property
    def role_label(self) -> str:
        return str(ROLE_LABELS.get(self.role, self.role))

    @property
    def goals_note(self) -> bool:
        """Targets that will be kept as the plan's goals (not counted in progress): say so."""
        return not self.is_task and any(not t.is_baseline for t in self.targets)

    @property
    def actions(self) -> list[tuple[str, str]]:
        """What the person may make of this part: ``(role to post, button label)``."""
        if self.is_preamble:
            return []
        if self.has_parts:
            choices = []
            if NodeRole.TEXT in self.roles_below:
                choices.append((NodeRole.TASK, _("Make every part below it a task")))
            if NodeRole.TASK in self.roles_below:
                choices.append((NodeRole.TEXT, _("Make all of it the plan's text")))
        else:
            choices = [(NodeRole.TASK, _("Make it a task")), (NodeRole.TEXT, _("Make it the plan's text"))]
        wanted = [(value, label) for value, label in choices if value != self.role]
        if self.role_choice:
            wanted.append(("auto", _("As read from the document")))
        return wanted


ROLE_LABELS = {
    NodeRole.TASK: gettext_lazy("Task"),
    NodeRole.TEXT: gettext_lazy("Plan text"),
    NodeRole.SECTION: gettext_lazy("Section"),
}


@dataclass
class NameToResolve:
    """A written unit name no organization was found for, and every task that names it."""

    name: str
    count: int
    key: str
    index: int
    candidates: list[dict]
    preselect: int | None


@dataclass
class UnitSummary:
    matched: int
    left_out: int
    pending: int
    tasks: int
    tasks_without_units: int
    text_parts: int
    targets: int
    baselines: int

    @property
    def none_matched(self) -> bool:
        """Every unit was left out (or none was written): no task has a responsible unit."""
        return self.pending == 0 and self.matched == 0


def target_rows(placed) -> list[TargetRow]:
    """Rows for ``(key, index, target)`` triples: where each target stands, and the target."""
    rows = []
    for key, i, t in placed:
        period = t.period or TargetPeriod.TOTAL
        rows.append(
            TargetRow(
                key=key,
                index=i,
                label=t.label,
                comparator=t.comparator,
                value=format_quantity(t.value),
                unit=t.unit,
                text=t.text,
                period=period,
                by_year=t.by_year,
                period_text=period_text(t.period, t.by_year),
                stated=t.period is not None,
                baseline=format_quantity(t.baseline) if t.baseline is not None else "",
                baseline_year=t.baseline_year,
                is_baseline=t.is_baseline,
            )
        )
    return rows


def _unit_rows(rows: list[dict], names: dict[int, str]) -> list[UnitRow]:
    leading = services.lead_row(rows)
    return [
        UnitRow(
            index=i,
            part=m["part"],
            status=m["status"],
            method=m["method"],
            lead=i == leading,
            chosen=m.get("choice"),
            chosen_names=[names.get(o, "?") for o in (m.get("choice") or [])],
            group=m.get("group"),
            pending=m.get("choice") is None,
            skipped=m.get("choice") == [],
        )
        for i, m in enumerate(rows)
    ]


@dataclass
class Review:
    draft: ImportDraft
    parsed: PlanDraft
    rows: list[NodeRow]
    names: dict[int, str]

    def page(self, number) -> tuple:
        """The rows of one page and the paginator's page (for the navigation)."""
        paginator = Paginator(self.rows, PAGE_SIZE)
        page = paginator.get_page(number)
        return list(page.object_list), page

    def page_of(self, key: str) -> int:
        """The page a node is on (for redirecting back to it after a change)."""
        position = next((i for i, r in enumerate(self.rows) if r.key == key), 0)
        return position // PAGE_SIZE + 1

    def task_row(self, key: str) -> NodeRow | None:
        return next((r for r in self.rows if r.key == key), None)

    def names_to_resolve(self) -> list[NameToResolve]:
        found: dict[str, NameToResolve] = {}
        for key, index, name in services.unresolved_units(self.draft):
            if name in found:
                found[name].count += 1
                continue
            row = self.draft.matches[key][index]
            candidates = [{**c, "percent": int(c["score"] * 100)} for c in row.get("candidates", [])]
            best = [c for c in candidates if c["score"] >= PRESELECT_SCORE]
            # Pre-select only one clearly likely organization; two equally likely ones are the person's choice.
            preselect = best[0]["organization_id"] if len(best) == 1 else None
            found[name] = NameToResolve(name, 1, key, index, candidates, preselect)
        return list(found.values())

    def summary(self) -> UnitSummary:
        counts: Counter[str] = Counter()
        without = 0
        for row in self.rows:
            if not row.is_task:
                continue
            if not any(u.chosen for u in row.units) and not any(u.pending for u in row.units):
                without += 1
            for unit in row.units:
                counts["pending" if unit.pending else "left_out" if unit.skipped else "matched"] += 1
        targets = [t for r in self.rows if r.role != NodeRole.POINT for t in r.targets]
        return UnitSummary(
            matched=counts["matched"],
            left_out=counts["left_out"],
            pending=counts["pending"],
            tasks=sum(1 for r in self.rows if r.is_task),
            tasks_without_units=without,
            text_parts=sum(1 for r in self.rows if r.role == NodeRole.TEXT),
            targets=sum(1 for t in targets if not t.is_baseline),
            baselines=sum(1 for t in targets if t.is_baseline),
        )

    def line_span(self, rows: list[NodeRow]) -> tuple[int, int]:
        """The document's lines a page of rows covers: from its first row to just before the next page's."""
        if not rows:
            return 1, len(self.parsed.source_lines)
        start = next(i for i, r in enumerate(self.rows) if r is rows[0])
        end = start + len(rows)
        first = 1 if start == 0 else rows[0].line_start
        last = self.rows[end].line_start - 1 if end < len(self.rows) else len(self.parsed.source_lines)
        return first, max(first, last)

    def warnings(self, rows: list[NodeRow] | None = None) -> list[dict]:
        """The warnings in the reader's language; only those on the lines of ``rows`` when given."""
        span = self.line_span(rows) if rows is not None else None
        result = []
        for w in self.draft.data.get("warnings", []):
            line = w.get("line")
            if span is not None and line is not None and not span[0] <= line <= span[1]:
                continue
            result.append({"code": w.get("code"), "line": line, "message": warning_text(w)})
        return result

    def source_lines(self, rows: list[NodeRow]) -> list[tuple[int, str]]:
        """The document's lines that a page of rows comes from (the head too, on the first page)."""
        first, last = self.line_span(rows)
        lines = self.parsed.source_lines
        return [(n, lines[n - 1]) for n in range(first, min(last, len(lines)) + 1)]


def review(draft: ImportDraft, candidates=None) -> Review:
    """The draft as the review shows it: every part but the points, in document order."""
    parsed = PlanDraft.from_dict(draft.data)
    candidates = list(services.unit_candidates(draft.owner)) if candidates is None else candidates
    names = {o.pk: o.name for o in candidates}
    rows: list[NodeRow] = []
    if parsed.preamble.strip():
        span = parsed.preamble_lines or (1, 1)
        rows.append(
            NodeRow(
                key="preamble",
                dom="n-preamble",
                depth=0,
                kind="preamble",
                marker="",
                title=_("The text before the first section"),
                text=parsed.preamble,
                role=NodeRole.TEXT,
                plan_text=True,
                role_choice=None,
                line_start=span[0],
                line_end=span[1],
                targets=target_rows(("preamble", i, t) for i, t in enumerate(parsed.preamble_targets)),
                is_preamble=True,
            )
        )

    def walk(nodes, depth):
        for node in nodes:
            if node.role == NodeRole.POINT:
                continue
            points = parsed.points_of(node)
            rows.append(
                NodeRow(
                    key=node.key,
                    dom=dom_id(node.key),
                    depth=depth,
                    kind=node.kind,
                    marker=node.marker,
                    title=node.title,
                    text=node.text,
                    role=node.role,
                    plan_text=node.plan_text,
                    role_choice=node.role_choice,
                    line_start=node.line_start,
                    line_end=node.line_end,
                    targets=target_rows(
                        (holder.key, i, t) for holder in (node, *points) for i, t in enumerate(holder.targets)
                    ),
                    units=_unit_rows(draft.matches.get(node.key, []), names) if node.role == NodeRole.TASK else [],
                    points=len(points),
                    has_parts=bool(parsed.structural_children(node)),
                    roles_below=frozenset(
                        n.role for n in node.iter_nodes() if n is not node and n.role in (NodeRole.TASK, NodeRole.TEXT)
                    ),
                )
            )
            walk(node.children, depth + 1)

    walk(parsed.nodes, 0)
    return Review(draft=draft, parsed=parsed, rows=rows, names=names)
