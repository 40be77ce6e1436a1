"""A streaming reader for the first sheet of an .xlsx file, for large imports.

openpyxl builds an object per cell and reads about a thousand rows a second on our machines;
an import of 100,000 volunteers needs rows as plain values and nothing else. This reads the
sheet XML with ``iterparse`` and yields each row as a list of strings and numbers.
"""

from __future__ import annotations

import posixpath
import re
import zipfile

from lxml.etree import iterparse

NS = "{http://schemas.openxmlformats.org/spreadsheetml/2006/main}"
REL_NS = "{http://schemas.openxmlformats.org/officeDocument/2006/relationships}"
PKG_REL_NS = "{http://schemas.openxmlformats.org/package/2006/relationships}"
_COL = re.compile(r"[A-Z]+")


def _col_index(ref: str) -> int:
    letters = _COL.match(ref).group(0)
    n = 0
    for ch in letters:
        n = n * 26 + ord(ch) - 64
    return n - 1


def _text_of(el) -> str:
    # A string item is <t> or rich-text runs <r><t>; phonetic runs (<rPh>) are not part of the value.
    parts = []
    for child in el:
        if child.tag == NS + "t":
            parts.append(child.text or "")
        elif child.tag == NS + "r":
            parts.extend(t.text or "" for t in child.iter(NS + "t"))
    return "".join(parts)


def _first_sheet_path(zf: zipfile.ZipFile) -> str:
    from xml.etree.ElementTree import fromstring

    workbook = fromstring(zf.read("xl/workbook.xml"))
    sheet = workbook.find(f"{NS}sheets/{NS}sheet")
    rel_id = sheet.get(f"{REL_NS}id")
    rels = fromstring(zf.read("xl/_rels/workbook.xml.rels"))
    for rel in rels.iter(PKG_REL_NS + "Relationship"):
        if rel.get("Id") == rel_id:
            target = rel.get("Target")
            return target.lstrip("/") if target.startswith("/") else posixpath.normpath(posixpath.join("xl", target))
    raise KeyError("first sheet")


def _shared_strings(zf: zipfile.ZipFile) -> list[str]:
    if "xl/sharedStrings.xml" not in zf.namelist():
        return []
    strings = []
    with zf.open("xl/sharedStrings.xml") as fh:
        for _event, el in iterparse(fh, tag=NS + "si"):
            strings.append(_text_of(el))
            el.clear()
    return strings


def read_rows(source):
    """Yield the rows of the first sheet as lists of values (str, float or bool; None for empty cells)."""
    with zipfile.ZipFile(source) as zf:
        shared = _shared_strings(zf)
        with zf.open(_first_sheet_path(zf)) as fh:
            c_tag, is_tag, v_tag = NS + "c", NS + "is", NS + "v"
            for _event, row_el in iterparse(fh, tag=NS + "row"):
                row: list = []
                for el in row_el.iterchildren(c_tag):
                    kind = el.get("t")
                    if kind == "inlineStr":
                        is_el = el.find(is_tag)
                        value = _text_of(is_el) if is_el is not None else ""
                    else:
                        v = el.find(v_tag)
                        raw = v.text if v is not None else None
                        if raw is None:
                            value = None
                        elif kind == "s":
                            value = shared[int(raw)]
                        elif kind in ("str", "e"):
                            value = raw
                        elif kind == "b":
                            value = raw == "1"
                        else:
                            value = float(raw)
                    ref = el.get("r")
                    index = _col_index(ref) if ref else len(row)
                    if index > len(row):
                        row.extend([None] * (index - len(row)))
                    row.append(value)
                yield row
                row_el.clear()
                # Drop the rows already read so memory stays flat on large sheets.
                while row_el.getprevious() is not None:
                    del row_el.getparent()[0]
