"""Read a .docx plan into lines for the parser, keeping what Word knows.

In Word the numbering of a plan is often not in the text at all: "1." or
"（一）" is drawn by the paragraph's list numbering (w:numPr), sometimes via its
style. Reading only ``paragraph.text`` would lose every task number, so the
reader computes the numbers as Word would (per list, per level, restarting
deeper levels) and writes them in front of the text. Heading and Title styles
(or an outline level) are passed on as hints for paragraphs without a
marker. Task tables ("序号 | 工作任务 | 责任单位") become one line per task.
"""

from __future__ import annotations

import re
import zipfile
from collections.abc import Iterator
from dataclasses import dataclass
from os import PathLike
from typing import IO, Any

from .draft import NodeKind, PlanDraft
from .errors import UNREADABLE_DOCUMENT, PlanImportError
from .lines import Marker, clean_line, find_marker
from .parser import SourceLine, parse_lines

_W = "http://schemas.openxmlformats.org/wordprocessingml/2006/main"
_NS = {"w": _W}

#: "Heading 2", "heading 2", "标题 2", "标题2" -> 2; "Title"/"标题" is the title.
_HEADING_STYLE = re.compile(r"^(?:heading|标题)\s*(?P<level>\d)$", re.IGNORECASE)
_TITLE_STYLE = re.compile(r"^(?:title|标题)$", re.IGNORECASE)

#: Header words that identify the columns of a task table.
_UNITS_HEADER = re.compile(r"责任单位|牵头单位|责任部门|主责单位")
#: Every column of units, with the label it gives its names (a table may split 牵头单位 and 配合单位).
_ANY_UNITS_HEADER = re.compile(r"责任单位|牵头单位|责任部门|主责单位|牵头部门|配合单位|配合部门|协办单位|参与单位")
_TASK_HEADER = re.compile(r"任务|内容|措施|事项|工作|项目")
_NUMBER_HEADER = re.compile(r"序号|编号|^序$")

_CIRCLED = "①②③④⑤⑥⑦⑧⑨⑩⑪⑫⑬⑭⑮⑯⑰⑱⑲⑳"
_CN_DIGITS = "零一二三四五六七八九"


def parse_docx(file_or_path: str | PathLike[str] | IO[bytes]) -> PlanDraft:
    """Parse a plan from a .docx file (a path or a binary file object).

    Raises :class:`PlanImportError` ``unreadable_document`` when the file is
    not a readable .docx, and the parser's errors otherwise.
    """
    try:
        import docx  # python-docx; imported here so the text parser works without it
        from docx.opc.exceptions import PackageNotFoundError
    except ImportError as exc:  # pragma: no cover - python-docx is a project dependency
        raise PlanImportError(UNREADABLE_DOCUMENT, "python-docx is not installed, .docx files cannot be read") from exc
    try:
        document = docx.Document(file_or_path)
    except (PackageNotFoundError, zipfile.BadZipFile, KeyError, ValueError, OSError) as exc:
        raise PlanImportError(
            UNREADABLE_DOCUMENT, f"the file could not be opened as a Word (.docx) document: {exc}"
        ) from exc
    return parse_lines(list(docx_lines(document)))


def docx_lines(document: Any) -> Iterator[SourceLine]:
    """The document's paragraphs and table rows as source lines, in order."""
    from docx.table import Table

    numbering = _Numbering(document)
    for block in document.iter_inner_content():
        if isinstance(block, Table):
            yield from _table_lines(block)
        else:
            yield from _paragraph_lines(block, numbering)


def _paragraph_lines(paragraph: Any, numbering: _Numbering) -> Iterator[SourceLine]:
    """One paragraph as one line (more if it holds manual line breaks)."""
    style_name = paragraph.style.name if paragraph.style is not None else ""
    heading = _HEADING_STYLE.match(style_name or "")
    level = int(heading.group("level")) if heading else _outline_level(paragraph)
    is_title = bool(_TITLE_STYLE.match(style_name or ""))
    parts = paragraph.text.replace("\r", "\n").split("\n")
    label = numbering.label_for(paragraph)
    first = parts[0]
    marker = None
    if label is not None and label.text:
        rest = clean_line(first)
        rendered = f"{label.text}{rest}"
        marker = find_marker(rendered)
        if marker is None or marker.marker != label.text.strip():
            marker = Marker(kind=label.kind, marker=label.text.strip(), number=label.number, rest=rest, separator="")
        first = rendered
    yield SourceLine(first, heading_level=level, is_title=is_title, marker=marker)
    for part in parts[1:]:
        yield SourceLine(part)


def _outline_level(paragraph: Any) -> int | None:
    """The paragraph's outline level (w:outlineLvl, 0-based) as a 1-based heading level."""
    found = paragraph._p.xpath("./w:pPr/w:outlineLvl/@w:val")
    if found and found[0].isdigit() and int(found[0]) < 9:
        return int(found[0]) + 1
    return None


def _table_lines(table: Any) -> Iterator[SourceLine]:
    """A task table as "N、task。content（责任单位：units）" lines; any other table row by row.

    The first task-like column (工作任务, 重点任务 …) opens the task; the other
    text columns (具体内容, 工作措施, 完成时限 …) follow it in its text, so
    nothing a row says is lost; the units columns (责任单位, or 牵头单位 and
    配合单位) become its units tail.
    """
    rows = [[cell.text.strip() for cell in row.cells] for row in table.rows]
    if not rows:
        return
    header = rows[0]
    units_col = next((i for i, h in enumerate(header) if _UNITS_HEADER.search(h)), None)
    number_col = next((i for i, h in enumerate(header) if _NUMBER_HEADER.search(h)), None)
    task_col = next(
        (i for i, h in enumerate(header) if i not in (units_col, number_col) and _TASK_HEADER.search(h)), None
    )
    if units_col is None or task_col is None:
        for row in rows:
            yield SourceLine("\u3000".join(_unique(row)))
        return
    units_cols = [(i, _ANY_UNITS_HEADER.search(h).group()) for i, h in enumerate(header) if _ANY_UNITS_HEADER.search(h)]
    used = {task_col, number_col, *(i for i, _ in units_cols)}
    other_cols = [i for i in range(len(header)) if i not in used and header[i] and header[i] not in header[:i]]
    yield SourceLine("\u3000".join(_unique(header)))
    running = 0
    for row in rows[1:]:
        cells = _unique(row)
        if len(cells) == 1:  # a merged row: a section heading inside the table
            yield SourceLine(cells[0])
            continue
        number = row[number_col] if number_col is not None else ""
        running = int(number) if number.isdigit() else running + 1
        parts = [_flatten(row[task_col])]
        for i in other_cols:
            value = _flatten(row[i]) if i < len(row) else ""
            if not value or value == parts[0]:
                continue
            # Content reads on as the task's text; a column such as 完成时限 keeps its name.
            parts.append(value if _TASK_HEADER.search(header[i]) else f"{header[i]}：{value}")
        text = "".join(p if p.endswith(_ENDS) or p is parts[-1] else p + "。" for p in parts if p)
        units = [(label, _flatten(row[i], "、")) for i, label in units_cols if i < len(row) and row[i].strip()]
        tail = "（" + "；".join(f"{label}：{names}" for label, names in units) + "）" if units else ""
        if tail and not text.endswith(_ENDS):
            text += "。"
        yield SourceLine(f"{running}、{text}{tail}")


#: Punctuation that already ends a sentence, so no 。 is added between a table's cells.
_ENDS = ("。", "；", ";", "！", "？", "）", ")")


def _flatten(cell: str, joiner: str = "") -> str:
    """A cell's lines as one: a task is one line for the parser, whatever the cell's line breaks."""
    return joiner.join(part.strip() for part in cell.replace("\r", "\n").split("\n") if part.strip())


def _unique(cells: list[str]) -> list[str]:
    """Cells with the repeats of merged cells removed (python-docx repeats a merged cell's text)."""
    out: list[str] = []
    for cell in cells:
        if cell and (not out or out[-1] != cell):
            out.append(cell)
    return out


@dataclass(frozen=True)
class _Label:
    text: str  # the marker as Word draws it, e.g. "（一）"
    kind: str
    number: int | None


@dataclass(frozen=True)
class _Level:
    fmt: str
    text: str
    start: int


class _Numbering:
    """Word's list numbering, replayed paragraph by paragraph."""

    def __init__(self, document: Any) -> None:
        self.document = document
        self.levels: dict[str, dict[int, _Level]] = {}  # abstractNumId -> ilvl -> level
        self.nums: dict[str, str] = {}  # numId -> abstractNumId
        self.overrides: dict[str, dict[int, int]] = {}  # numId -> ilvl -> start
        self.counters: dict[str, dict[int, int]] = {}  # abstractNumId -> ilvl -> current value
        self.started: set[str] = set()
        try:
            root = document.part.numbering_part.element
        except (KeyError, NotImplementedError, AttributeError):
            return
        for abstract in root.findall(f"{{{_W}}}abstractNum"):
            levels = {}
            for lvl in abstract.findall(f"{{{_W}}}lvl"):
                ilvl = int(lvl.get(f"{{{_W}}}ilvl", "0"))
                levels[ilvl] = _Level(
                    fmt=_val(lvl, "numFmt") or "decimal",
                    text=_val(lvl, "lvlText") or "",
                    start=int(_val(lvl, "start") or 1),
                )
            self.levels[abstract.get(f"{{{_W}}}abstractNumId")] = levels
        for num in root.findall(f"{{{_W}}}num"):
            num_id = num.get(f"{{{_W}}}numId")
            self.nums[num_id] = _val(num, "abstractNumId") or ""
            for override in num.findall(f"{{{_W}}}lvlOverride"):
                start = _val(override, "startOverride")
                if start is not None:
                    ilvl = int(override.get(f"{{{_W}}}ilvl", "0"))
                    self.overrides.setdefault(num_id, {})[ilvl] = int(start)

    def label_for(self, paragraph: Any) -> _Label | None:
        """The marker Word draws before this paragraph, advancing the list's counters."""
        num_id, ilvl = self._num_pr(paragraph)
        if num_id is None or num_id == "0" or num_id not in self.nums:
            return None
        abstract = self.nums[num_id]
        levels = self.levels.get(abstract, {})
        level = levels.get(ilvl)
        if level is None:
            return None
        counters = self.counters.setdefault(abstract, {})
        if num_id not in self.started:
            self.started.add(num_id)
            for lvl_index, start in self.overrides.get(num_id, {}).items():
                counters[lvl_index] = start - 1
        counters[ilvl] = counters.get(ilvl, level.start - 1) + 1
        for deeper in [k for k in counters if k > ilvl]:
            del counters[deeper]
        if level.fmt == "bullet":
            return _Label(text="——", kind=NodeKind.BULLET, number=None)
        if level.fmt == "none":
            return None

        def render(match: re.Match[str]) -> str:
            index = int(match.group(1)) - 1
            lvl = levels.get(index)
            value = counters.get(index, lvl.start if lvl else 1)
            return _format(value, lvl.fmt if lvl else "decimal")

        text = re.sub(r"%(\d)", render, level.text)
        return _Label(text=text, kind=_kind_for(level, text), number=counters[ilvl])

    def _num_pr(self, paragraph: Any) -> tuple[str | None, int]:
        """numId and ilvl from the paragraph, or else from its style chain."""
        num_id = paragraph._p.xpath("./w:pPr/w:numPr/w:numId/@w:val")
        ilvl = paragraph._p.xpath("./w:pPr/w:numPr/w:ilvl/@w:val")
        style = paragraph.style
        while not num_id and style is not None:
            num_id = style.element.xpath("./w:pPr/w:numPr/w:numId/@w:val")
            ilvl = ilvl or style.element.xpath("./w:pPr/w:numPr/w:ilvl/@w:val")
            style = style.base_style
        return (num_id[0] if num_id else None), (int(ilvl[0]) if ilvl else 0)


def _val(element: Any, child: str) -> str | None:
    """The w:val of a direct child element, or None."""
    found = element.find(f"{{{_W}}}{child}")
    return None if found is None else found.get(f"{{{_W}}}val")


def _kind_for(level: _Level, text: str) -> str:
    """The node kind a numbering format stands for, when the drawn marker is not one the parser knows."""
    if level.fmt.startswith(("chinese", "ideograph", "japanese", "taiwanese")):
        return NodeKind.SUBSECTION if re.search(r"[（(]", text) else NodeKind.SECTION
    if level.fmt.startswith("decimalEnclosed") or re.search(r"[（(）)]", text):
        return NodeKind.ITEM
    if level.fmt.startswith("decimal"):
        return NodeKind.TASK
    return NodeKind.ITEM


def _format(value: int, fmt: str) -> str:
    """A counter value in a Word number format."""
    if fmt.startswith(("chinese", "ideographDigital", "japanese", "taiwanese")):
        return chinese_counting(value)
    if fmt.startswith("decimalEnclosedCircle") and 1 <= value <= len(_CIRCLED):
        return _CIRCLED[value - 1]
    if fmt == "decimalFullWidth":
        return str(value).translate(str.maketrans("0123456789", "０１２３４５６７８９"))
    if fmt in ("lowerLetter", "upperLetter"):
        letter = chr(ord("a") + (value - 1) % 26) * ((value - 1) // 26 + 1)
        return letter.upper() if fmt == "upperLetter" else letter
    if fmt in ("lowerRoman", "upperRoman"):
        roman = _roman(value)
        return roman if fmt == "upperRoman" else roman.lower()
    return str(value)


def chinese_counting(value: int) -> str:
    """Word's chineseCounting for list numbers (1..99999): 1 一, 10 十, 23 二十三, 105 一百零五."""
    if value <= 0:
        return str(value)
    if value < 10:
        return _CN_DIGITS[value]
    if value < 20:
        return "十" + (_CN_DIGITS[value - 10] if value > 10 else "")
    out = ""
    places = ((10_000, "万"), (1000, "千"), (100, "百"), (10, "十"), (1, ""))
    pending_zero = False
    for size, name in places:
        digit = value // size % 10
        if digit:
            if pending_zero and out:
                out += "零"
            out += _CN_DIGITS[digit] + name
            pending_zero = False
        elif out:
            pending_zero = True
    return out


def _roman(value: int) -> str:
    """Roman numerals for list numbers."""
    out = ""
    for size, letters in ((1000, "M"), (900, "CM"), (500, "D"), (400, "CD"), (100, "C"), (90, "XC"),
                          (50, "L"), (40, "XL"), (10, "X"), (9, "IX"), (5, "V"), (4, "IV"), (1, "I")):  # fmt: skip
        while value >= size:
            out += letters
            value -= size
    return out
