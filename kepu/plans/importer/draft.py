"""The draft a plan document is turned into: plain dataclasses, JSON-ready.

The web app shows a draft next to its source for a person to correct, keeps it
as JSON while it is being corrected, and only turns it into database rows when
the plan is published. So everything here is plain data: no Django, no
references to database objects, and a lossless ``to_dict`` / ``from_dict``
round trip (``Decimal`` values travel as strings so they stay exact).

Line numbers are 1-based and inclusive, and refer to ``PlanDraft.source_lines``.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass, field
from decimal import Decimal, InvalidOperation
from typing import Any

from .errors import INVALID_DRAFT, PlanImportError

#: Version tag written into every serialized draft, so a stored draft can be
#: migrated if the shape ever changes. Version 1 (before node roles, plan
#: periods and baselines) is still read: what it lacks takes its default.
SCHEMA = "kepu.plans.draft/2"
READABLE_SCHEMAS = ("kepu.plans.draft/1", SCHEMA)


class NodeKind:
    """Kinds of node in the plan tree, from the numbering style that opened it.

    The style (not the depth) decides the kind, because documents skip levels:
    a plan may go straight from 一、 to 1、 without （一）.
    """

    SECTION = "section"  # 一、 二、 … (also a docx heading of level 1)
    SUBSECTION = "subsection"  # （一） (一) …
    TASK = "task"  # 1、 1. 1． and auto-numbered docx paragraphs
    ITEM = "item"  # （1） (1) 1） ①: points inside a task
    BULLET = "bullet"  # —— ● • lines

    ALL = (SECTION, SUBSECTION, TASK, ITEM, BULLET)

    #: Bullet markers that open a measure in 纲要-style outlines ("——完善…机制。").
    DASHES = ("——", "—", "－－", "--")


class NodeRole:
    """What a node becomes in the plan, decided from its shape and the person's choices.

    The kind says how a line was numbered; the role says what it is: a unit of
    work (task), the plan's own text (principles, goals, safeguards: kept, not
    supervised), a heading over tasks (section), or a point folded into the
    node above it (bullets, unless "—— items are tasks").
    """

    TASK = "task"
    TEXT = "text"
    SECTION = "section"
    POINT = "point"

    ALL = (TASK, TEXT, SECTION, POINT)
    #: What a person may choose for a node: a unit of work or the plan's text.
    CHOICES = (TASK, TEXT)


class Period:
    """Over which time a target's quantity is meant.

    ``None`` on a target means the text does not say: the quantity is for the
    whole plan (for a one-year plan, that year).
    """

    YEAR = "year"
    QUARTER = "quarter"
    MONTH = "month"
    WEEK = "week"
    TERM = "term"
    DAY = "day"
    TOTAL = "total"  # 累计: over the whole plan
    BY_YEAR = "by_year"  # 到2025年: reached by the end of ``by_year``

    ALL = (YEAR, QUARTER, MONTH, WEEK, TERM, DAY, TOTAL, BY_YEAR)


class UnitSource:
    """Where a node's responsible units (责任单位) were found."""

    LINE = "line"  # a "责任单位：…" line after the section or item
    TAIL = "tail"  # a "（责任单位：…）" tail at the end of the item's text
    BARE_TAIL = "bare_tail"  # a "（区科协、各街道）" tail without the word 责任单位

    ALL = (LINE, TAIL, BARE_TAIL)


class Comparator:
    """How a target's value is meant, normalized from qualifiers such as 不少于."""

    AT_LEAST = "≥"  # 不少于 不低于 至少 以上 达到
    MORE_THAN = ">"  # 超过 多于 余 多
    ABOUT = "≈"  # 左右 约 近 大约
    EQUAL = "="  # a bare number
    AT_MOST = "≤"  # 不超过 不高于 以下 以内
    LESS_THAN = "<"  # 少于 低于

    ALL = (AT_LEAST, MORE_THAN, ABOUT, EQUAL, AT_MOST, LESS_THAN)


@dataclass
class Units:
    """The responsible units (责任单位) of one node, as written.

    ``names`` keeps each name exactly as the document writes it (brackets that
    belong to a name stay: 各镇（街道）（地区）); matching them to organizations
    is a separate step (:func:`kepu.plans.importer.match_units`) so a person can
    correct the match without losing what the document said.
    """

    names: list[str]
    source: str  # one of UnitSource.ALL
    raw: str  # the whole clause as written, e.g. "（责任单位：区科信局、区科协）"
    line: int  # source line where the clause starts
    lead: list[str] = field(default_factory=list)  # 牵头单位 / "（牵头）"
    support: list[str] = field(default_factory=list)  # 配合单位 / 协办单位 / 参与单位

    def to_dict(self) -> dict[str, Any]:
        return {
            "names": list(self.names),
            "source": self.source,
            "raw": self.raw,
            "line": self.line,
            "lead": list(self.lead),
            "support": list(self.support),
        }

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> Units:
        _require(data, ("names", "source", "raw", "line"), "units")
        if data["source"] not in UnitSource.ALL:
            raise PlanImportError(INVALID_DRAFT, f"units.source must be one of {UnitSource.ALL}")
        return cls(
            names=[str(n) for n in data["names"]],
            source=data["source"],
            raw=str(data["raw"]),
            line=int(data["line"]),
            lead=[str(n) for n in data.get("lead", [])],
            support=[str(n) for n in data.get("support", [])],
        )


@dataclass
class Target:
    """A numeric target (指标) found in a node's text, e.g. 组织各类科普活动800场.

    ``value`` is exact (2.5亿 is ``Decimal("250000000")``); 万/亿 are folded
    into the value except in the money units 万元 / 亿元, which Chinese plans and
    statistics use as units in their own right.
    """

    value: Decimal
    unit: str  # 场, 人次, %, 万元 …
    comparator: str  # one of Comparator.ALL
    label: str  # what is measured: "科普活动", "高素质农民培训"
    text: str  # the matched words as written: "不少于30万人次"
    line: int
    qualifiers: list[str] = field(default_factory=list)  # as written: ["达到", "左右"]
    period: str | None = None  # one of Period.ALL, or None when the text does not say (the whole plan)
    by_year: int | None = None  # a deadline: 到2025年 -> 2025
    #: Where the text also gives the starting value: "2022年…达到21.5%，到2025年达到28%".
    baseline: Decimal | None = None
    baseline_year: int | None = None
    #: This number is a baseline the text reports (a year before the plan), not a target.
    #: ``baseline_year`` is then its year; it is shown, and not published as a target.
    is_baseline: bool = False

    def to_dict(self) -> dict[str, Any]:
        return {
            "value": str(self.value),
            "unit": self.unit,
            "comparator": self.comparator,
            "label": self.label,
            "text": self.text,
            "line": self.line,
            "qualifiers": list(self.qualifiers),
            "period": self.period,
            "by_year": self.by_year,
            "baseline": None if self.baseline is None else str(self.baseline),
            "baseline_year": self.baseline_year,
            "is_baseline": self.is_baseline,
        }

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> Target:
        _require(data, ("value", "unit", "comparator", "label", "text", "line"), "target")
        try:
            value = Decimal(str(data["value"]))
        except InvalidOperation as exc:
            raise PlanImportError(INVALID_DRAFT, f"target.value is not a number: {data['value']!r}") from exc
        if data["comparator"] not in Comparator.ALL:
            raise PlanImportError(INVALID_DRAFT, f"target.comparator must be one of {Comparator.ALL}")
        if data.get("period") is not None and data["period"] not in Period.ALL:
            raise PlanImportError(INVALID_DRAFT, f"target.period must be one of {Period.ALL} or null")
        baseline = data.get("baseline")
        try:
            baseline = None if baseline is None else Decimal(str(baseline))
        except InvalidOperation as exc:
            raise PlanImportError(INVALID_DRAFT, f"target.baseline is not a number: {baseline!r}") from exc
        return cls(
            value=value,
            unit=str(data["unit"]),
            comparator=data["comparator"],
            label=str(data["label"]),
            text=str(data["text"]),
            line=int(data["line"]),
            qualifiers=[str(q) for q in data.get("qualifiers", [])],
            period=data.get("period"),
            by_year=None if data.get("by_year") is None else int(data["by_year"]),
            baseline=baseline,
            baseline_year=None if data.get("baseline_year") is None else int(data["baseline_year"]),
            is_baseline=bool(data.get("is_baseline", False)),
        )


@dataclass
class PlanNode:
    """One numbered part of a plan: a section, subsection, task, item or bullet.

    ``marker`` is the numbering exactly as written ("（一）", "23.", "1、",
    "——"); ``number`` its value (23), or None for bullets and unnumbered
    headings. ``text`` is the node's own text without the marker, without its
    responsible-units clause and without its children, lines joined by "\\n".
    ``title`` is its heading: the first sentence of ``text``.
    """

    kind: str
    marker: str
    number: int | None
    title: str
    text: str
    line_start: int
    line_end: int
    key: str = ""  # position in the tree, "2.3" = third child of the second top node
    units: Units | None = None
    targets: list[Target] = field(default_factory=list)
    children: list[PlanNode] = field(default_factory=list)
    #: The parser's judgment: this is the plan's own text (指导思想, 基本原则, 保障措施 … and what is below).
    plan_text: bool = False
    #: The person's choice for this node (one of NodeRole.CHOICES), or None to follow the parser.
    role_choice: str | None = None
    #: What the node is (one of NodeRole.ALL); set by :meth:`PlanDraft.assign_roles`, "" before.
    role: str = ""

    @property
    def is_task(self) -> bool:
        """A unit of work: the web app makes one plan task per such node.

        Once roles are assigned, the role decides. Before (a node built by
        hand), the shape does: a node with no numbered children below it
        (bullets don't count). Miyun's subsections and its section 五 (which
        has none) are tasks; Xicheng's 1、…23、 are.
        """
        if self.role:
            return self.role == NodeRole.TASK
        return self.kind != NodeKind.BULLET and not any(c.kind != NodeKind.BULLET for c in self.children)

    @property
    def is_dash(self) -> bool:
        """A "——" bullet: a measure in an outline, or a point of a task (the draft's switch decides)."""
        return self.kind == NodeKind.BULLET and self.marker in NodeKind.DASHES

    def iter_nodes(self) -> Iterator[PlanNode]:
        """This node and all below it, depth first, in document order."""
        yield self
        for child in self.children:
            yield from child.iter_nodes()

    def to_dict(self) -> dict[str, Any]:
        return {
            "key": self.key,
            "kind": self.kind,
            "marker": self.marker,
            "number": self.number,
            "title": self.title,
            "text": self.text,
            "line_start": self.line_start,
            "line_end": self.line_end,
            "units": self.units.to_dict() if self.units else None,
            "targets": [t.to_dict() for t in self.targets],
            "children": [c.to_dict() for c in self.children],
            "plan_text": self.plan_text,
            "role_choice": self.role_choice,
            "role": self.role,
        }

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> PlanNode:
        _require(data, ("kind", "marker", "title", "text", "line_start", "line_end"), "node")
        if data["kind"] not in NodeKind.ALL:
            raise PlanImportError(INVALID_DRAFT, f"node.kind must be one of {NodeKind.ALL}")
        number = data.get("number")
        choice = data.get("role_choice")
        if choice is not None and choice not in NodeRole.CHOICES:
            raise PlanImportError(INVALID_DRAFT, f"node.role_choice must be one of {NodeRole.CHOICES} or null")
        return cls(
            kind=data["kind"],
            marker=str(data["marker"]),
            number=None if number is None else int(number),
            title=str(data["title"]),
            text=str(data["text"]),
            line_start=int(data["line_start"]),
            line_end=int(data["line_end"]),
            key=str(data.get("key", "")),
            units=Units.from_dict(data["units"]) if data.get("units") else None,
            targets=[Target.from_dict(t) for t in data.get("targets", [])],
            children=[cls.from_dict(c) for c in data.get("children", [])],
            plan_text=bool(data.get("plan_text", False)),
            role_choice=choice,
        )


@dataclass
class ImportWarning:
    """Something the importer was unsure about, for the person checking the draft."""

    code: str  # stable, e.g. "numbering_gap", "mixed_punctuation"
    message: str  # in English, for logs and developers; a page builds its own from code and data
    line: int | None = None
    data: dict[str, str] = field(default_factory=dict)  # what the message names: {"marker": "4、", …}

    def to_dict(self) -> dict[str, Any]:
        return {"code": self.code, "message": self.message, "line": self.line, "data": dict(self.data)}

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> ImportWarning:
        _require(data, ("code", "message"), "warning")
        line = data.get("line")
        return cls(
            code=str(data["code"]),
            message=str(data["message"]),
            line=None if line is None else int(line),
            data={str(k): str(v) for k, v in (data.get("data") or {}).items()},
        )


@dataclass
class PlanDraft:
    """A parsed plan, before a person has checked it.

    ``source_lines`` are the lines the parser read (for a .docx: paragraphs,
    with their automatic numbering written out), so the UI can show the source
    beside the draft without the original file.

    Which nodes are tasks follows from their roles (:meth:`assign_roles`):
    the parser's judgment (``plan_text``, ``bullets_default``) until the
    person chooses otherwise (``role_choice``, ``bullets_as_tasks``).
    """

    title: str
    nodes: list[PlanNode]
    source_lines: list[str]
    preamble: str = ""
    preamble_lines: tuple[int, int] | None = None
    preamble_targets: list[Target] = field(default_factory=list)
    year: int | None = None  # from the title: 2024年密云区科普工作要点 -> 2024
    district: str | None = None  # from the title: -> "密云区"
    warnings: list[ImportWarning] = field(default_factory=list)
    end_year: int | None = None  # from the title: （2024-2026年） -> 2026; a one-year plan: the year
    #: Whether "——" bullets are tasks of their own (the measures of an outline) or points of the node above.
    bullets_as_tasks: bool = False
    #: What the parser chose for ``bullets_as_tasks`` from the document's shape (the page says so).
    bullets_default: bool = False

    def iter_nodes(self) -> Iterator[PlanNode]:
        """Every node, depth first, in document order."""
        for node in self.nodes:
            yield from node.iter_nodes()

    def tasks(self) -> list[PlanNode]:
        """The units of work (see :attr:`PlanNode.is_task`), in document order."""
        return [n for n in self.iter_nodes() if n.is_task]

    def find(self, key: str) -> PlanNode | None:
        """The node with this tree key ("2.3"), or None."""
        return next((n for n in self.iter_nodes() if n.key == key), None)

    def index(self) -> dict[str, PlanNode]:
        """Every node by its key (build once when looking up many)."""
        return {n.key: n for n in self.iter_nodes()}

    def renumber_keys(self) -> None:
        """Recompute every node's ``key`` from its position (after an edit moved nodes)."""

        def walk(nodes: list[PlanNode], prefix: str) -> None:
            for index, node in enumerate(nodes, start=1):
                node.key = f"{prefix}{index}"
                walk(node.children, f"{node.key}.")

        walk(self.nodes, "")

    # --- Roles: task, text, section, point ---------------------------------------------------
    def structural_children(self, node: PlanNode) -> list[PlanNode]:
        """The children that are parts of their own: numbered ones, and "——" bullets when they are tasks."""
        return [c for c in node.children if c.kind != NodeKind.BULLET or (self.bullets_as_tasks and c.is_dash)]

    def assign_roles(self) -> None:
        """Give every node its role from the document's shape and the choices made so far.

        A node with parts of its own is a section if a task is below it, else
        text. A leaf is what the nearest choice on it or above it says, else
        text when the parser read it as the plan's text, else a task. What is
        not a part (a bullet, unless bullets are tasks) is a point of its parent.
        """

        def mark_points(node: PlanNode) -> None:
            node.role = NodeRole.POINT
            for child in node.children:
                mark_points(child)

        def walk(node: PlanNode, inherited: str | None) -> bool:
            choice = node.role_choice or inherited
            parts = self.structural_children(node)
            kept = {id(c) for c in parts}
            for child in node.children:
                if id(child) not in kept:
                    mark_points(child)
            if parts:
                has_task = False
                for child in parts:
                    has_task = walk(child, choice) or has_task
                node.role = NodeRole.SECTION if has_task else NodeRole.TEXT
                return has_task
            node.role = choice or (NodeRole.TEXT if node.plan_text else NodeRole.TASK)
            return node.role == NodeRole.TASK

        for node in self.nodes:
            walk(node, None)

    def set_role(self, key: str, role: str | None) -> PlanNode:
        """A person's choice: this node and everything below it is a task, or the plan's text (None: as read)."""
        if role is not None and role not in NodeRole.CHOICES:
            raise PlanImportError(INVALID_DRAFT, f"a role is one of {NodeRole.CHOICES}")
        node = self.find(key)
        if node is None:
            raise PlanImportError(INVALID_DRAFT, f"there is no node {key!r}")
        for below in node.iter_nodes():
            below.role_choice = None
        node.role_choice = role
        self.assign_roles()
        self.check_units()
        return node

    def set_bullets_as_tasks(self, value: bool) -> None:
        """A person's choice: "——" bullets are tasks of their own, or points of the node above."""
        self.bullets_as_tasks = bool(value)
        self.assign_roles()
        self.check_units()

    def points_of(self, node: PlanNode) -> list[PlanNode]:
        """What is folded into ``node`` (its bullets that are not tasks, and below them), in document order.

        Only its own: the points of a part below it are folded into that part.
        """
        return [p for child in node.children if child.role == NodeRole.POINT for p in child.iter_nodes()]

    def targets_of(self, node: PlanNode) -> list[Target]:
        """A node's targets with those of the points folded into it: what publishing keeps with it."""
        return [*node.targets, *(t for p in self.points_of(node) for t in p.targets)]

    def units_of(self, node: PlanNode, index: dict[str, PlanNode] | None = None) -> Units | None:
        """The units responsible for a node: its own or the nearest above, with those of its points."""
        index = index if index is not None else self.index()
        base = node.units
        parts = node.key.split(".")
        for i in range(len(parts) - 1, 0, -1):
            if base is not None:
                break
            above = index.get(".".join(parts[:i]))
            base = above.units if above is not None else None
        extra = [p.units for p in self.points_of(node) if p.units is not None]
        if not extra:
            return base
        merged = [base, *extra] if base is not None else extra
        names: list[str] = []
        for units in merged:
            names.extend(n for n in units.names if n not in names)
        first = merged[0]
        return Units(
            names=names,
            source=first.source,
            raw="\n".join(u.raw for u in merged),
            line=first.line,
            lead=[n for u in merged for n in u.lead],
            support=[n for u in merged for n in u.support],
        )

    def check_units(self) -> None:
        """Warn about tasks without units when most tasks have them (a tail the parser missed?).

        A task is covered by its own units, those of an enclosing heading or
        those of its points. Run again after roles change: the set of tasks did.
        """
        self.warnings = [w for w in self.warnings if w.code != "missing_units"]
        index = self.index()
        covered = [(task, self.units_of(task, index) is not None) for task in self.tasks()]
        if covered and sum(ok for _, ok in covered) * 2 >= len(covered):
            for task, ok in covered:
                if not ok:
                    self.warnings.append(
                        ImportWarning(
                            "missing_units",
                            f"{task.marker}{task.title[:30]} has no responsible units",
                            task.line_start,
                            {"marker": task.marker, "title": task.title[:30]},
                        )
                    )
        self.warnings.sort(key=lambda w: (w.line is None, w.line or 0))

    def to_dict(self) -> dict[str, Any]:
        return {
            "schema": SCHEMA,
            "title": self.title,
            "year": self.year,
            "end_year": self.end_year,
            "district": self.district,
            "preamble": self.preamble,
            "preamble_lines": list(self.preamble_lines) if self.preamble_lines else None,
            "preamble_targets": [t.to_dict() for t in self.preamble_targets],
            "bullets_as_tasks": self.bullets_as_tasks,
            "bullets_default": self.bullets_default,
            "nodes": [n.to_dict() for n in self.nodes],
            "warnings": [w.to_dict() for w in self.warnings],
            "source_lines": list(self.source_lines),
        }

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> PlanDraft:
        if not isinstance(data, dict):
            raise PlanImportError(INVALID_DRAFT, "a draft must be a JSON object")
        if data.get("schema") not in READABLE_SCHEMAS:
            raise PlanImportError(INVALID_DRAFT, f"unknown draft schema {data.get('schema')!r}, expected {SCHEMA!r}")
        _require(data, ("title", "nodes", "source_lines"), "draft")
        span = data.get("preamble_lines")
        try:
            draft = cls(
                title=str(data["title"]),
                year=data.get("year"),
                end_year=data.get("end_year"),
                district=data.get("district"),
                preamble=str(data.get("preamble", "")),
                preamble_lines=(int(span[0]), int(span[1])) if span else None,
                preamble_targets=[Target.from_dict(t) for t in data.get("preamble_targets", [])],
                bullets_as_tasks=bool(data.get("bullets_as_tasks", False)),
                bullets_default=bool(data.get("bullets_default", False)),
                nodes=[PlanNode.from_dict(n) for n in data["nodes"]],
                warnings=[ImportWarning.from_dict(w) for w in data.get("warnings", [])],
                source_lines=[str(s) for s in data["source_lines"]],
            )
        except (TypeError, ValueError, KeyError, IndexError) as exc:
            if isinstance(exc, PlanImportError):
                raise
            raise PlanImportError(INVALID_DRAFT, f"malformed draft: {exc}") from exc
        draft.assign_roles()
        return draft


def _require(data: Any, keys: tuple[str, ...], what: str) -> None:
    """Reject a dict missing a required key with a message that names it."""
    if not isinstance(data, dict):
        raise PlanImportError(INVALID_DRAFT, f"{what} must be a JSON object")
    missing = [k for k in keys if k not in data]
    if missing:
        raise PlanImportError(INVALID_DRAFT, f"{what} is missing {', '.join(missing)}")
