"""Turn the lines of a work plan (工作计划 / 工作要点) into a :class:`PlanDraft`.

The reading is driven by the shapes plans share, not by any one plan:

* the head before the first numbered line holds the title (skipping an
  "附件1" label) and the preamble;
* every line that starts with a numbering marker opens a node; the marker's
  kind has a rank (一、 > （一） > 1. > （1） > bullet) and a node closes every
  open node of the same or a lower rank, so skipped levels (一、 straight to
  1、) and sections without subsections (Miyun's 五) come out right;
* prose lines belong to the deepest open node; a "责任单位：…" line belongs to
  it as well (or to its parent, when the node already ended in its own
  "（责任单位：…）" tail);
* after the tree is built, each node's tail is split off, its title taken
  from the first sentence and its targets read.

What looks wrong but is kept (a numbering gap, "23." among "、", a task with
no units while others have them) becomes a warning for the person checking
the draft rather than an error.

Not every numbered part is a task: the plan's own text (指导思想, 基本原则,
发展目标, 保障措施, 组织实施 … and the items below such a heading) is kept
as text, unless an item names its own responsible units. In 纲要-style
outlines the "——" paragraphs are the measures, so they are tasks when most
bullets read like measures (long, under a heading rather than a task). Both
are only defaults: the person checking the draft can change either.
"""

from __future__ import annotations

import re
from collections import Counter
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field

from .draft import ImportWarning, NodeKind, PlanDraft, PlanNode, Units
from .errors import EMPTY_INPUT, INPUT_TOO_LARGE, NOT_A_PLAN, TOO_MANY_PARTS, PlanImportError
from .lines import RANK, Marker, clean_line, find_marker, first_sentence
from .numbers import DIGITS, to_halfwidth
from .targets import extract_targets, pair_baselines
from .units import parse_units_line, split_units_tail

#: A plan is a few pages and a 15-year outline some twenty; refuse anything the size of a book (characters).
MAX_INPUT_CHARS = 200_000
#: The most numbered parts (sections, tasks, items, bullets) a draft may have: real plans have tens to a few
#: hundred; a document with thousands is not a plan a person can check on one screen.
MAX_NODES = 1_000

#: Headings of the plan's own text rather than its work: 指导思想, 基本原则, 发展目标, 保障措施, 组织实施 …
#: A heading made only of these words (joined by 和/与/及/、) is text, and so is everything below it.
PLAN_TEXT_WORDS = frozenset(
    """前言 背景 工作背景 形势 面临形势 发展基础 现状 基本情况 总则 附则 指导思想 基本原则 工作原则 主要原则
    原则 总体要求 工作要求 有关要求 要求 总体目标 主要目标 发展目标 工作目标 目标 总体思路 工作思路 基本思路
    保障措施 保障机制 组织保障 工作保障 实施保障 组织实施 组织领导 进度安排 实施步骤 工作步骤 时间安排""".split()
)
_TEXT_JOINER = re.compile(r"[和与及、]")
#: A "——" bullet that reads like an outline's measure (a paragraph, not a one-line point).
_MEASURE_MIN_CHARS = 20

#: "附件1", "附件 2：", "附件" — a label converters keep above the title.
_ATTACHMENT = re.compile(r"^附件\s*[0-9０-９一二三四五六七八九十]*\s*[:：]?$")

#: A document number line such as "京科发〔2024〕12号" or "密科协发[2024]3号".
_DOC_NUMBER = re.compile(r"^\S{1,12}[〔\[［(（]\s*\d{4}\s*[〕\]］)）]\s*\d+\s*号$")

#: Words that make a line read as a plan title.
_TITLE_WORDS = re.compile(r"计划|要点|方案|安排|任务|清单|规划|意见")

#: Year and district at the front of a title: "2024年密云区科普工作要点".
_TITLE_YEAR = re.compile(r"(?P<year>\d{4}|[〇零一二三四五六七八九]{4})\s*年")
#: A period in a title: "（2024-2026年）", "（2021—2035年）", "2024年至2026年".
_TITLE_RANGE = re.compile(r"(?P<a>\d{4})\s*年?\s*(?:[-—–~～－]+|至|到)\s*(?P<b>\d{4})\s*年")
_TITLE_DISTRICT = re.compile(r"年度?\s*(?:北京市)?(?P<district>[\u4e00-\u9fff]{2,3}?[区县])")
_TITLE_DISTRICT_FIRST = re.compile(r"^(?:北京市)?(?P<district>[\u4e00-\u9fff]{2,3}?区)")

#: Heading-style level (from a .docx) -> node kind, for headings without a marker.
_STYLE_KINDS = {1: NodeKind.SECTION, 2: NodeKind.SUBSECTION, 3: NodeKind.TASK}


@dataclass(frozen=True)
class SourceLine:
    """One line as read from the source, with what a .docx says about it.

    ``text`` is shown to the person as the source; ``heading_level`` comes from
    a heading style (1 = top) and ``is_title`` from the Title style; ``marker``
    is set when the .docx numbered the paragraph itself (the marker is then
    already written at the front of ``text``).
    """

    text: str
    heading_level: int | None = None
    is_title: bool = False
    marker: Marker | None = None


@dataclass
class _Open:
    """A node while the tree is being built: its lines and units lines."""

    node: PlanNode
    rank: int
    separator: str
    lines: list[tuple[int, str]] = field(default_factory=list)
    unit_lines: list[tuple[int, Units]] = field(default_factory=list)
    parent: _Open | None = None
    children: list[_Open] = field(default_factory=list)


def parse_text(text: str) -> PlanDraft:
    """Parse a plan from plain text (as copied from Word, WPS or a PDF).

    Raises :class:`PlanImportError` with code ``empty_input`` for empty text,
    ``not_a_plan`` when no numbered heading or task is found, and
    ``input_too_large`` past :data:`MAX_INPUT_CHARS`.
    """
    if not isinstance(text, str):
        raise TypeError(f"parse_text expects str, got {type(text).__name__}")
    if len(text) > MAX_INPUT_CHARS:
        raise PlanImportError(
            INPUT_TOO_LARGE, f"the text has {len(text)} characters; at most {MAX_INPUT_CHARS} are read"
        )
    return parse_lines([SourceLine(line) for line in text.splitlines()])


def parse_lines(lines: Sequence[SourceLine]) -> PlanDraft:
    """Parse already-split lines; shared by :func:`parse_text` and the .docx reader."""
    size = sum(len(line.text) for line in lines)
    if size > MAX_INPUT_CHARS:
        raise PlanImportError(INPUT_TOO_LARGE, f"the text has {size} characters; at most {MAX_INPUT_CHARS} are read")
    cleaned = [clean_line(line.text) for line in lines]
    if not any(cleaned):
        raise PlanImportError(EMPTY_INPUT, "the document is empty: there is no text to import")

    markers = [_marker_for(line, text) for line, text in zip(lines, cleaned, strict=True)]
    first = next((i for i, m in enumerate(markers) if m is not None), None)
    if first is None:
        raise PlanImportError(
            NOT_A_PLAN,
            "no numbered sections or tasks were found (such as 一、 （一） 1、 1.): "
            "this does not look like a work plan, or its numbering was lost in conversion",
        )
    parts = sum(1 for m in markers if m is not None)
    if parts > MAX_NODES:
        raise PlanImportError(
            TOO_MANY_PARTS, f"the document has {parts} numbered parts; a plan is read with at most {MAX_NODES}"
        )

    warnings: list[ImportWarning] = []
    title, title_index = _find_title(lines, cleaned, first)
    if not title:
        warnings.append(ImportWarning("no_title", "no title was found above the first section"))
    preamble_rows = [(i, cleaned[i]) for i in range(first) if cleaned[i] and i != title_index]
    preamble_rows = [(i, t) for i, t in preamble_rows if not _ATTACHMENT.match(t) and not _DOC_NUMBER.match(t)]
    preamble = "\n".join(t for _, t in preamble_rows)
    year, end_year, district = _title_facts(title)
    years = (year, end_year) if year is not None else None

    roots = _build_tree(cleaned, markers, first)
    _place_units_lines(roots, warnings)
    nodes = [_finish(item, warnings, years) for item in roots]
    preamble_targets = (
        pair_baselines(extract_targets(preamble, _line_finder([(i + 1, t) for i, t in preamble_rows]), years=years))
        if preamble
        else []
    )

    draft = PlanDraft(
        title=title,
        year=year,
        end_year=end_year,
        district=district,
        preamble=preamble,
        preamble_lines=(preamble_rows[0][0] + 1, preamble_rows[-1][0] + 1) if preamble_rows else None,
        preamble_targets=preamble_targets,
        nodes=nodes,
        warnings=warnings,
        source_lines=[line.text for line in lines],
    )
    draft.renumber_keys()
    _mark_plan_text(draft.nodes)
    draft.bullets_default = draft.bullets_as_tasks = _bullets_are_measures(draft)
    draft.assign_roles()
    _check_numbering(roots, warnings)
    draft.check_units()
    return draft


def is_plan_text_heading(title: str) -> bool:
    """Whether a heading names the plan's own text: 指导思想, 基本原则, 组织实施和保障措施 …"""
    words = [w for w in _TEXT_JOINER.split(title.strip().rstrip("。.：:；;")) if w]
    return bool(words) and all(w.strip() in PLAN_TEXT_WORDS for w in words)


def _mark_plan_text(nodes: list[PlanNode], inherited: bool = False) -> None:
    """Mark the plan's own text: headings such as 基本原则 and what is below them.

    An item below such a heading that names its own responsible units is work
    someone answers for, so it stays a task (and so does its heading's section).
    """
    for node in nodes:
        own = is_plan_text_heading(node.title) and node.units is None
        node.plan_text = (inherited or own) and node.units is None
        _mark_plan_text(node.children, inherited or own)


def _bullets_are_measures(draft: PlanDraft) -> bool:
    """Whether this document's "——" bullets are the measures of an outline rather than points of tasks.

    Measures are paragraphs ("——完善…机制。建立…") standing under a heading
    (一、 or （一）); points are short lines under a numbered task. Most bullets
    must read like measures.
    """
    dashes: list[tuple[PlanNode, PlanNode]] = []

    def walk(nodes: list[PlanNode], parent: PlanNode | None) -> None:
        for node in nodes:
            if node.is_dash and parent is not None:
                dashes.append((parent, node))
            walk(node.children, node)

    walk(draft.nodes, None)
    if not dashes:
        return False
    measures = sum(
        1
        for parent, bullet in dashes
        if parent.kind in (NodeKind.SECTION, NodeKind.SUBSECTION) and len(bullet.text) >= _MEASURE_MIN_CHARS
    )
    return measures * 5 >= len(dashes) * 3


def _marker_for(line: SourceLine, text: str) -> Marker | None:
    """The marker that opens a node on this line, if any."""
    if line.marker is not None:
        return line.marker
    if not text:
        return None
    marker = find_marker(text)
    if marker is not None:
        return marker
    if line.heading_level is not None and not line.is_title:
        kind = _STYLE_KINDS.get(line.heading_level, NodeKind.ITEM)
        return Marker(kind=kind, marker="", number=None, rest=text, separator="")
    return None


def _find_title(lines: Sequence[SourceLine], cleaned: list[str], first: int) -> tuple[str, int | None]:
    """The title among the lines above the first section, and its index.

    A line in the Title style wins; otherwise the first short line that reads
    like a plan title (计划, 要点, 方案 …), else the first short line that does
    not end like a sentence. "附件1" labels and document numbers are skipped.
    """
    head = [i for i in range(first) if cleaned[i] and not _ATTACHMENT.match(cleaned[i])]
    head = [i for i in head if not _DOC_NUMBER.match(cleaned[i])]
    for i in head:
        if lines[i].is_title:
            return cleaned[i], i
    short = [i for i in head[:4] if len(cleaned[i]) <= 60 and cleaned[i][-1] not in "。；;，,：:"]
    for i in short:
        if _TITLE_WORDS.search(cleaned[i]):
            return cleaned[i], i
    if short:
        return cleaned[short[0]], short[0]
    return "", None


def _title_facts(title: str) -> tuple[int | None, int | None, str | None]:
    """The plan's first and last year and its district, as far as the title names them.

    "（2024-2026年）" gives 2024 and 2026; "2024年…要点" gives 2024 for both.
    """
    probe = to_halfwidth(title)
    year = end_year = None
    span = _TITLE_RANGE.search(probe)
    if span and int(span.group("a")) <= int(span.group("b")):
        year, end_year = int(span.group("a")), int(span.group("b"))
    else:
        found = _TITLE_YEAR.search(probe)
        if found:
            raw = found.group("year")
            year = end_year = int(raw) if raw.isdigit() else int("".join(str(DIGITS[c]) for c in raw))
    district = _TITLE_DISTRICT.search(probe) or _TITLE_DISTRICT_FIRST.search(probe)
    return year, end_year, district.group("district") if district else None


def _build_tree(cleaned: list[str], markers: list[Marker | None], first: int) -> list[_Open]:
    """Open a node at each marker and hand every other line to the deepest open node."""
    roots: list[_Open] = []
    stack: list[_Open] = []
    for index in range(first, len(cleaned)):
        text, marker, line_no = cleaned[index], markers[index], index + 1
        if not text:
            continue
        if marker is not None:
            rank = RANK[marker.kind]
            while stack and stack[-1].rank >= rank:
                stack.pop()
            node = PlanNode(
                kind=marker.kind, marker=marker.marker, number=marker.number,
                title="", text="", line_start=line_no, line_end=line_no,
            )  # fmt: skip
            item = _Open(node=node, rank=rank, separator=marker.separator, parent=stack[-1] if stack else None)
            if marker.rest:
                item.lines.append((line_no, marker.rest))
            (stack[-1].children if stack else roots).append(item)
            stack.append(item)
            continue
        units = parse_units_line(text)
        if units is not None:
            units.line = line_no
            stack[-1].unit_lines.append((line_no, units))
            continue
        stack[-1].lines.append((line_no, text))
    return roots


def _line_finder(rows: list[tuple[int, str]]) -> Callable[[int], int]:
    """Map an offset in "\\n".join(texts of rows) back to the line number of its row.

    ``rows`` are (1-based line number, text): a node's own lines are not
    contiguous in the source (blank lines and units lines sit between them),
    so offsets are mapped row by row.
    """
    starts = []
    offset = 0
    for line_no, text in rows:
        starts.append((offset, line_no))
        offset += len(text) + 1

    def line_of(position: int) -> int:
        line = starts[0][1] if starts else 1
        for start, number in starts:
            if start > position:
                break
            line = number
        return line

    return line_of


def _finish(item: _Open, warnings: list[ImportWarning], years: tuple[int, int | None] | None) -> PlanNode:
    """Fill in a node's text, title, units and targets, then its children's."""
    node = item.node
    rows = item.lines
    full = "\n".join(text for _, text in rows)
    line_of = _line_finder(rows)

    tail_units: Units | None = None
    body = full
    split = split_units_tail(full) if full else None
    if split is None and len(rows) > 1:
        # A tail at the end of the heading line: "（一）加强领导（责任单位：区科协）" + body.
        head_split = split_units_tail(rows[0][1])
        if head_split is not None:
            head_body, tail_units = head_split
            tail_units.line = rows[0][0]
            body = head_body.rstrip() + full[len(rows[0][1]) :]
    elif split is not None:
        body, tail_units = split
        tail_units.line = line_of(len(body) + (len(full[len(body) :]) - len(full[len(body) :].lstrip())))

    node.text = "\n".join(part.strip() for part in body.split("\n") if part.strip())
    node.title = first_sentence(node.text)
    node.targets = pair_baselines(extract_targets(body, line_of, years=years))

    line_units = _merge([u for _, u in item.unit_lines])
    if tail_units is not None and line_units is not None:
        warnings.append(
            ImportWarning(
                "units_twice",
                "this item has both a units tail and a 责任单位 line",
                line_units.line,
                {"marker": node.marker},
            )
        )
    node.units = _merge([u for u in (tail_units, line_units) if u is not None])

    ends = [line_no for line_no, _ in item.lines] + [line_no for line_no, _ in item.unit_lines]
    node.line_end = max([node.line_start, *ends])
    node.children = [_finish(child, warnings, years) for child in item.children]
    return node


def _place_units_lines(items: list[_Open], warnings: list[ImportWarning]) -> None:
    """Move 责任单位 lines that close a list to the node the list belongs to (top-down)."""
    for item in items:
        _lift_closing_units_line(item)
        parent = item.parent
        if item.unit_lines and parent is not None and not parent.unit_lines:
            text = "\n".join(t for _, t in item.lines)
            if text and split_units_tail(text) is not None:
                # "1、…（责任单位：A）" then a "责任单位：…" line: the line closes the enclosing heading.
                parent.unit_lines, item.unit_lines = item.unit_lines, []
                warnings.append(
                    ImportWarning(
                        "units_line_moved",
                        "a 责任单位 line follows an item that has its own units; it was given to the enclosing heading",
                        parent.unit_lines[0][0],
                        {"marker": parent.node.marker},
                    )
                )
        _place_units_lines(item.children, warnings)


def _lift_closing_units_line(item: _Open) -> None:
    """Give a units line that closes a list of points to the node the points belong to.

    "1．加强阵地建设 / （1）… / （2）… / 责任单位：…": the line follows the last
    point but covers the whole task. When only the last of several points has a
    units line, it is moved up; when points carry units lines of their own, each
    keeps its own.
    """
    points = [c for c in item.children if c.node.kind in (NodeKind.ITEM, NodeKind.BULLET)]
    if item.unit_lines or len(points) < 2 or points[-1] is not item.children[-1]:
        return
    if points[-1].unit_lines and not any(p.unit_lines for p in points[:-1]):
        item.unit_lines, points[-1].unit_lines = points[-1].unit_lines, []


def _merge(parts: list[Units]) -> Units | None:
    """One Units from several clauses (牵头单位 line + 配合单位 line), keeping the first's source."""
    if not parts:
        return None
    if len(parts) == 1:
        return parts[0]
    first = parts[0]
    return Units(
        names=[n for p in parts for n in p.names],
        source=first.source,
        raw="\n".join(p.raw for p in parts),
        line=first.line,
        lead=[n for p in parts for n in p.lead],
        support=[n for p in parts for n in p.support],
    )


def _check_numbering(roots: list[_Open], warnings: list[ImportWarning]) -> None:
    """Warn about numbering that skips or repeats, and punctuation that differs from its kind's usual.

    Numbers may restart under each parent (（一） in every section) or run on
    across parents (Xicheng's tasks 1-23 run through five sections): both are
    fine; anything else is a gap worth a look.
    """
    last_number: dict[str, int] = {}
    separators: dict[str, Counter[str]] = {}
    flat: list[_Open] = []

    def walk(items: list[_Open]) -> None:
        restarted: set[str] = set()
        for item in items:
            flat.append(item)
            node = item.node
            if node.number is not None:
                previous = last_number.get(node.kind)
                first_here = node.kind not in restarted
                # Run on from the previous one of its kind, or restart at 1 under a new parent.
                ok = (previous is not None and node.number == previous + 1) or (first_here and node.number == 1)
                if not ok:
                    expected = 1 if previous is None else previous + 1
                    warnings.append(
                        ImportWarning(
                            "numbering_gap",
                            f"{node.marker} comes where {expected} was expected",
                            node.line_start,
                            {"marker": node.marker, "expected": str(expected)},
                        )
                    )
                last_number[node.kind] = node.number
                restarted.add(node.kind)
            if item.separator:
                separators.setdefault(node.kind, Counter())[item.separator] += 1
            walk(item.children)

    walk(roots)
    usual = {kind: counts.most_common(1)[0][0] for kind, counts in separators.items()}
    for item in flat:
        kind = item.node.kind
        if (
            item.separator
            and item.separator != usual[kind]
            and separators[kind][item.separator] * 4 <= sum(separators[kind].values())
        ):
            warnings.append(
                ImportWarning(
                    "mixed_punctuation",
                    f"{item.node.marker} is written with “{item.separator}” where the others use “{usual[kind]}”",
                    item.node.line_start,
                    {"marker": item.node.marker, "used": item.separator, "usual": usual[kind]},
                )
            )
