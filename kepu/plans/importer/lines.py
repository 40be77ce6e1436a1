"""Line-level reading: strip conversion noise and recognize numbering markers.

Plans reach us through Word, WPS, PDF-to-text and HTML converters, each of which
leaves its own debris in front of a line (a bookmark such as
``[bookmark: _Hlk513286779]`` before Xicheng's item 13, an ``<a name=…>``
anchor, a pandoc ``{#_Hlk… .anchor}``, markdown ``**``/``#``). Numbering is
then recognized on the cleaned line by its *shape*, so a plan never seen
before reads the same way as the two we have.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from .draft import NodeKind
from .numbers import DIGITS, SMALL_UNITS, parse_chinese_integer, to_halfwidth

# --- conversion noise -------------------------------------------------------

#: Debris converters leave in the text, removed wherever it stands:
#:   [bookmark: _Hlk513298704]          (docx -> text converters)
#:   <a name="_Hlk1"></a>, <a id="x"/>  (docx -> html)
#:   []{#_Hlk1 .anchor}, {#_Toc1}       (pandoc markdown)
#:   zero-width spaces and the BOM
_NOISE = re.compile(
    r"\\?\[bookmark:[^\]]*\\?\]"
    r"|<a\s+(?:name|id)\s*=\s*[\"'][^\"']*[\"']\s*/?>(?:\s*</a>)?"
    r"|</a>"
    r"|\[\]\{#[^}]*\}"
    r"|\{#[A-Za-z_][^}\s]*(?:\s+\.anchor)?\}"
    r"|[\u200b\u200c\u200d\u2060\ufeff]"
)

#: Markdown decoration around a whole line: leading "#"s, "**…**" / "__…__".
_MD_HEADING = re.compile(r"^#{1,6}\s+")
_MD_EMPHASIS = re.compile(r"^(\*\*|__)(.*)\1$")

#: Whitespace of every width, including the ideographic space (U+3000) and NBSP.
_SPACE = "\u3000\u00a0 \t\r\n\f\v"


def clean_line(line: str) -> str:
    """The line without converter debris and surrounding whitespace (any width)."""
    line = _NOISE.sub("", line).strip(_SPACE)
    line = _MD_HEADING.sub("", line)
    emphasis = _MD_EMPHASIS.match(line)
    if emphasis:
        line = emphasis.group(2).strip(_SPACE)
    return line


# --- numbering markers --------------------------------------------------------

_CN = "".join(DIGITS) + "".join(SMALL_UNITS)

#: 一、 二． 十一、 — a section. The separator is required: "一是…" or "十四五"
#: at the start of a line are prose, not headings.
_SECTION = re.compile(rf"^(?P<num>[{_CN}]{{1,4}})\s*(?P<sep>[、．.])")

#: 第一部分 / 第二章 — also a section (some plans are laid out in parts).
_PART = re.compile(rf"^第(?P<num>[{_CN}]{{1,4}})(?P<sep>部分|章|篇)")

#: （一） (一) — a subsection; mixed bracket widths occur in converted text.
_SUBSECTION = re.compile(rf"^[（(]\s*(?P<num>[{_CN}]{{1,4}})\s*[）)](?P<sep>[、．.]?)")

#: 1、 1. 1． 23. — a task. The number is not followed by another digit (so
#: "2.5亿人次" and "1.1" are not tasks). "1 开展…" (a space, as PDF text has it)
#: also counts, unless what follows reads as a value: 年/月/日/号/% or a
#: measure word (2024 年, 800 场). Digits are matched after full-width digits
#: were mapped to ASCII.
_TASK = re.compile(
    r"^(?P<num>\d{1,3})\s*"
    r"(?P<sep>[、．.,，](?!\d)|\s+(?=[^\d\sA-Za-z年月日号%场人个次名家所种项万亿千百元]))"
)

#: （1） (1) 1） 1) — an item inside a task.
_ITEM = re.compile(r"^(?:[（(]\s*(?P<num>\d{1,3})\s*[）)]|(?P<num2>\d{1,3})[）)])(?P<sep>[、．.]?)")

#: ① … ⑳ — also an item.
_CIRCLED = "①②③④⑤⑥⑦⑧⑨⑩⑪⑫⑬⑭⑮⑯⑰⑱⑲⑳"
_ITEM_CIRCLED = re.compile(rf"^(?P<num>[{_CIRCLED}])(?P<sep>[、．.]?)")

#: After "一、": another numeral and 年级 or 、 means a list of numbers in prose ("一、二年级").
_COUNTING_ON = re.compile(rf"^[{_CN}]+(?:年级|、)")

#: —— ● • ◆ ■ ▲ ★ - bullet lines. A single hyphen is too common in prose to count.
_BULLET = re.compile(r"^(?P<num>——|—|－－|--|[●•◆■▲★▪□◇○·])")

#: Rank of each kind: a node of rank r closes every open node of rank >= r.
#: The ranks follow the official-document convention (GB/T 9704) that
#: Chinese plans use: 一、 > （一） > 1. > （1） > bullet.
RANK = {NodeKind.SECTION: 1, NodeKind.SUBSECTION: 2, NodeKind.TASK: 3, NodeKind.ITEM: 4, NodeKind.BULLET: 5}


@dataclass(frozen=True)
class Marker:
    """A numbering marker found at the start of a line."""

    kind: str
    marker: str  # as written, e.g. "（一）", "23.", "１、"
    number: int | None
    rest: str  # the line after the marker, stripped
    separator: str  # "、", ".", "．", "" … (used to warn about mixed punctuation)


def find_marker(line: str) -> Marker | None:
    """The numbering marker a cleaned line starts with, or None for prose.

    Full-width digits (１、) are recognized, while ``marker`` keeps them as
    written. A marker with nothing after it is still a marker (a heading split
    from its text by a converter).
    """
    probe = to_halfwidth(line)
    for kind, pattern in (
        (NodeKind.SECTION, _SECTION),
        (NodeKind.SECTION, _PART),
        (NodeKind.SUBSECTION, _SUBSECTION),
        (NodeKind.ITEM, _ITEM),
        (NodeKind.TASK, _TASK),
        (NodeKind.ITEM, _ITEM_CIRCLED),
        (NodeKind.BULLET, _BULLET),
    ):
        match = pattern.match(probe)
        if not match:
            continue
        groups = match.groupdict()
        raw_number = groups.get("num") or groups.get("num2")
        number = _marker_number(kind, raw_number)
        if kind != NodeKind.BULLET and number is None:
            continue
        end = match.end()
        if kind == NodeKind.SECTION and _COUNTING_ON.match(probe[end:]):
            continue  # "一、二年级学生…" counts grades, it is not section 一
        return Marker(
            kind=kind,
            marker=line[:end].strip(),
            number=number,
            rest=line[end:].strip(_SPACE),
            separator=line[match.start("sep") : match.end("sep")].strip() if "sep" in groups else "",
        )
    return None


def _marker_number(kind: str, raw: str | None) -> int | None:
    """The integer a marker stands for, or None if it is not a valid number."""
    if raw is None or kind == NodeKind.BULLET:
        return None
    if raw in _CIRCLED:
        return _CIRCLED.index(raw) + 1
    if raw.isdigit():
        return int(raw)
    try:
        return parse_chinese_integer(raw)
    except ValueError:
        return None


# --- sentences --------------------------------------------------------------

#: End of a sentence: 。！？；and their ASCII forms. Quotes are handled by the caller.
_SENTENCE_END = "。！？；!?;"
_OPEN_QUOTES = "“‘《「『"
_CLOSE_QUOTES = "”’》」』"


def first_sentence(text: str) -> str:
    """The first sentence of ``text`` without its final punctuation.

    A 。 inside “…” or 《…》 does not end the sentence. This is the node title:
    "持续保障科普经费投入。加强对…" -> "持续保障科普经费投入".
    """
    depth = 0
    for index, ch in enumerate(text):
        if ch in _OPEN_QUOTES:
            depth += 1
        elif ch in _CLOSE_QUOTES:
            depth = max(0, depth - 1)
        elif ch == "\n" or (ch in _SENTENCE_END and depth == 0):
            return text[:index].strip(_SPACE)
    return text.strip(_SPACE).rstrip("。.；;，,：:")
