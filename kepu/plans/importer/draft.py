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
#: migrated if the shape ever changes.
SCHEMA = "kepu.plans.draft/1"


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
    period: str | None = None  # "year", "quarter", "month", "week", "term", "day", "total"
    by_year: int | None = None  # a deadline: 到2025年 -> 2025

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

    @property
    def is_task(self) -> bool:
        """A unit of work: a node with no numbered children below it (bullets don't count).

        Miyun's subsections and its section 五 (which has none) are tasks;
        Xicheng's 1、…23、 are. The web app makes one plan task per such node.
        """
        return self.kind != NodeKind.BULLET and not any(c.kind != NodeKind.BULLET for c in self.children)

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
        }

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> PlanNode:
        _require(data, ("kind", "marker", "title", "text", "line_start", "line_end"), "node")
        if data["kind"] not in NodeKind.ALL:
            raise PlanImportError(INVALID_DRAFT, f"node.kind must be one of {NodeKind.ALL}")
        number = data.get("number")
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
        )


@dataclass
class ImportWarning:
    """Something the importer was unsure about, for the person checking the draft."""

    code: str  # stable, e.g. "numbering_gap", "mixed_punctuation"
    message: str
    line: int | None = None

    def to_dict(self) -> dict[str, Any]:
        return {"code": self.code, "message": self.message, "line": self.line}

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> ImportWarning:
        _require(data, ("code", "message"), "warning")
        line = data.get("line")
        return cls(code=str(data["code"]), message=str(data["message"]), line=None if line is None else int(line))


@dataclass
class PlanDraft:
    """A parsed plan, before a person has checked it.

    ``source_lines`` are the lines the parser read (for a .docx: paragraphs,
    with their automatic numbering written out), so the UI can show the source
    beside the draft without the original file.
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

    def renumber_keys(self) -> None:
        """Recompute every node's ``key`` from its position (after an edit moved nodes)."""

        def walk(nodes: list[PlanNode], prefix: str) -> None:
            for index, node in enumerate(nodes, start=1):
                node.key = f"{prefix}{index}"
                walk(node.children, f"{node.key}.")

        walk(self.nodes, "")

    def to_dict(self) -> dict[str, Any]:
        return {
            "schema": SCHEMA,
            "title": self.title,
            "year": self.year,
            "district": self.district,
            "preamble": self.preamble,
            "preamble_lines": list(self.preamble_lines) if self.preamble_lines else None,
            "preamble_targets": [t.to_dict() for t in self.preamble_targets],
            "nodes": [n.to_dict() for n in self.nodes],
            "warnings": [w.to_dict() for w in self.warnings],
            "source_lines": list(self.source_lines),
        }

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> PlanDraft:
        if not isinstance(data, dict):
            raise PlanImportError(INVALID_DRAFT, "a draft must be a JSON object")
        if data.get("schema") != SCHEMA:
            raise PlanImportError(INVALID_DRAFT, f"unknown draft schema {data.get('schema')!r}, expected {SCHEMA!r}")
        _require(data, ("title", "nodes", "source_lines"), "draft")
        span = data.get("preamble_lines")
        try:
            return cls(
                title=str(data["title"]),
                year=data.get("year"),
                district=data.get("district"),
                preamble=str(data.get("preamble", "")),
                preamble_lines=(int(span[0]), int(span[1])) if span else None,
                preamble_targets=[Target.from_dict(t) for t in data.get("preamble_targets", [])],
                nodes=[PlanNode.from_dict(n) for n in data["nodes"]],
                warnings=[ImportWarning.from_dict(w) for w in data.get("warnings", [])],
                source_lines=[str(s) for s in data["source_lines"]],
            )
        except (TypeError, ValueError, KeyError, IndexError) as exc:
            if isinstance(exc, PlanImportError):
                raise
            raise PlanImportError(INVALID_DRAFT, f"malformed draft: {exc}") from exc


def _require(data: Any, keys: tuple[str, ...], what: str) -> None:
    """Reject a dict missing a required key with a message that names it."""
    if not isinstance(data, dict):
        raise PlanImportError(INVALID_DRAFT, f"{what} must be a JSON object")
    missing = [k for k in keys if k not in data]
    if missing:
        raise PlanImportError(INVALID_DRAFT, f"{what} is missing {', '.join(missing)}")
