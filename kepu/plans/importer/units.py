"""Responsible units (责任单位) as plans write them.

Three shapes occur, and every plan picks one (or mixes them):

* a line of its own after the section or item: ``责任单位：区委宣传部、区科委…``
  (also 牵头单位：…；配合单位：… on one line);
* a tail at the end of the item's text: ``…落实。（责任单位：区科信局、区科协）``,
  with brackets of either width, often mixed: ``(责任单位：…）``;
* a bare tail of names without the word 责任单位: ``…良好局面。（区科信局、区科协、各街道）``.

Names are kept exactly as written; the split only happens at separators that
are not inside brackets, so 各镇（街道）（地区） and 新时代文明实践中心（所、站）
stay whole. Matching names to organizations is :mod:`.matching`'s job.
"""

from __future__ import annotations

import re

from .draft import Units, UnitSource

#: Labels that introduce units, and the role they give the names after them.
LABELS: dict[str, str] = {
    "责任单位": "responsible",
    "责任部门": "responsible",
    "主责单位": "responsible",
    "责任主体": "responsible",
    "实施单位": "responsible",
    "主办单位": "responsible",
    "牵头单位": "lead",
    "牵头部门": "lead",
    "配合单位": "support",
    "配合部门": "support",
    "协办单位": "support",
    "协作单位": "support",
    "参与单位": "support",
    "承办单位": "support",
}

#: A label followed by a colon (full or half width): "责任单位：", "牵头单位:".
_LABEL = re.compile("(?P<label>" + "|".join(sorted(LABELS, key=len, reverse=True)) + r")\s*[:：]\s*")

#: A units line: the label opens the line, optionally inside an opening bracket
#: ("（责任单位：…）" standing on its own line counts as a line too).
_LABEL_LINE = re.compile(r"^[（(]?\s*(?:" + "|".join(LABELS) + r")\s*[:：]")

#: Separators between names: 、，,；;／/ and, for lists written with spaces only, whitespace.
_SEPARATORS = "、，,；;／/"
_SPACES = " \u3000\u00a0\t"

#: A role note after a name: 区科协（牵头）, 区教委(配合).
_ROLE_NOTE = re.compile(r"[（(]\s*(?P<role>牵头|配合|协办|参与)(?:单位|部门)?\s*[）)]$")

#: Endings that make a string read as an organization's name (for bare tails).
_ORG_SUFFIXES = (
    "局", "委", "办", "部", "会", "院", "中心", "街道", "镇", "乡", "地区", "政府", "单位",
    "协", "联", "团", "馆", "站", "队", "处", "厅", "署", "公司", "集团", "学校", "大学",
    "医院", "所", "室", "社", "台", "组",
)  # fmt: skip

#: What must not appear in a name: digits, sentence punctuation, the particle 的.
_NOT_IN_NAME = re.compile(r"[0-9０-９。！？!?：:“”\"《》的]")

#: Characters that may stand between the end of a sentence and a bare tail.
_SENTENCE_END = "。；;！!？?，,"


def split_unit_names(text: str) -> list[str]:
    """Split a list of units at separators outside brackets: "区科协、各镇（街道）（地区）".

    If the list has no separator at all but has spaces ("区科委 区教委"), the
    spaces separate. Spaces inside a name next to a separator are dropped.
    """
    # A converter may wrap a list (or a name) across lines: the break is not a separator.
    text = text.replace("\r", "").replace("\n", "").strip(_SPACES + "。.")
    has_separator = _has_top_level(text, _SEPARATORS)
    names: list[str] = []
    current: list[str] = []
    depth = 0
    for ch in text:
        if ch in "（(":
            depth += 1
        elif ch in "）)":
            depth = max(0, depth - 1)
        is_break = depth == 0 and (ch in _SEPARATORS or (not has_separator and ch in _SPACES))
        if is_break:
            names.append("".join(current))
            current = []
        else:
            current.append(ch)
    names.append("".join(current))
    cleaned = []
    for name in names:
        name = "".join(ch for ch in name if ch not in _SPACES) if has_separator else name.strip(_SPACES)
        name = name.strip("。.")
        if name:
            cleaned.append(name)
    return cleaned


def _has_top_level(text: str, chars: str) -> bool:
    """Whether any of ``chars`` occurs outside brackets."""
    depth = 0
    for ch in text:
        if ch in "（(":
            depth += 1
        elif ch in "）)":
            depth = max(0, depth - 1)
        elif depth == 0 and ch in chars:
            return True
    return False


def parse_labeled(text: str, *, source: str, raw: str) -> Units | None:
    """Units from text with one or more labels: "牵头单位：区科委；配合单位：区教委、区科协".

    Names before the first label are ignored (there are none in a units line);
    a name with a role note ("区科协（牵头）") loses the note and gets the role.
    """
    matches = list(_LABEL.finditer(text))
    if not matches:
        return None
    names: list[str] = []
    lead: list[str] = []
    support: list[str] = []
    for index, match in enumerate(matches):
        end = matches[index + 1].start() if index + 1 < len(matches) else len(text)
        role = LABELS[match.group("label")]
        for name in split_unit_names(text[match.end() : end]):
            note = _ROLE_NOTE.search(name)
            name_role = role
            if note:
                name = name[: note.start()].strip()
                name_role = {"牵头": "lead"}.get(note.group("role"), "support")
            if not name:
                continue
            names.append(name)
            if name_role == "lead":
                lead.append(name)
            elif name_role == "support":
                support.append(name)
    if not names:
        return None
    return Units(names=names, source=source, raw=raw, line=0, lead=lead, support=support)


def parse_units_line(line: str) -> Units | None:
    """Units from a line of its own ("责任单位：区委宣传部、区科委"), or None if it is not one."""
    if not _LABEL_LINE.match(line):
        return None
    inner = line.strip()
    if inner[:1] in "（(" and inner[-1:] in "）)":
        inner = inner[1:-1]
    return parse_labeled(inner, source=UnitSource.LINE, raw=line.strip())


def split_units_tail(text: str) -> tuple[str, Units] | None:
    """Split a units tail off the end of an item's text.

    Returns ``(text_without_tail, units)`` or None. ``units.line`` is left 0
    for the caller; the index where the tail starts is ``len(text_without_tail)``
    measured on the original (the caller relies on this to find the line).
    Recognizes "（责任单位：…）" (also mixed bracket widths, also an unbracketed
    "…。责任单位：…" at the end), and a bare "（区科信局、区科协）" after a
    sentence end whose every part reads as a unit name.
    """
    stripped = text.rstrip(_SPACES + "\n。.；;")
    if stripped.endswith(("）", ")")):
        opening = _matching_open(stripped)
        if opening is None:
            return None
        inner = stripped[opening + 1 : -1]
        raw = text[opening:].strip(_SPACES + "\n")
        body = text[:opening]
        label = _LABEL.match(inner.strip())
        if label:
            units = parse_labeled(inner.strip(), source=UnitSource.TAIL, raw=raw)
            return (body, units) if units else None
        before = body.rstrip(_SPACES + "\n")
        if before and before[-1] not in _SENTENCE_END:
            return None
        names = split_unit_names(inner)
        if names and all(looks_like_unit_name(n) for n in names):
            return body, Units(names=names, source=UnitSource.BARE_TAIL, raw=raw, line=0)
        return None
    # Unbracketed: "…工作。责任单位：区科协、区教委" at the very end.
    last = None
    for match in _LABEL.finditer(stripped):
        last = match
    if last is None:
        return None
    before = stripped[: last.start()].rstrip(_SPACES)
    if before and before[-1] not in _SENTENCE_END + "\n":
        return None
    tail = text[last.start() :]
    units = parse_labeled(tail.strip(_SPACES + "\n"), source=UnitSource.TAIL, raw=tail.strip(_SPACES + "\n"))
    return (text[: last.start()], units) if units else None


def _matching_open(text: str) -> int | None:
    """Index of the bracket that opens the one closing ``text`` (either width), or None."""
    depth = 0
    for index in range(len(text) - 1, -1, -1):
        ch = text[index]
        if ch in "）)":
            depth += 1
        elif ch in "（(":
            depth -= 1
            if depth == 0:
                return index
    return None


def looks_like_unit_name(name: str) -> bool:
    """Whether a string reads as the name of an organization or a group of them.

    Used only for bare tails, where a wrong guess would eat a real
    parenthetical remark ("（试行）", "（所、站）"), so it is strict: 2–30
    characters, no digits or sentence punctuation, ending like an organization
    (局, 委, 中心, 街道, 单位 …) and longer than that ending alone.
    """
    name = name.strip()
    # Brackets inside a name only qualify it (各镇（街道）（地区））: judge the part before them.
    head = re.split(r"[（(]", name, maxsplit=1)[0] if name[:1] not in "（(" else ""
    if not 2 <= len(name) <= 30 or _NOT_IN_NAME.search(name):
        return False
    if head != name:
        return len(head) >= 2 and (head.endswith(_ORG_SUFFIXES) or head.startswith("各"))
    return any(name.endswith(s) and len(name) > len(s) for s in _ORG_SUFFIXES)
