"""A streaming reader for the first sheet of an .xlsx file, for large imports.

openpyxl builds objects per cell and reads about a thousand rows a second on our machines; an
import of 100,000 volunteers needs rows as plain values and nothing else. This feeds the sheet
XML to expat (callbacks, no tree) and yields each row as a list of strings, numbers and booleans.
Rich text runs are joined; phonetic guides (``rPh``) are not part of a cell's value.

Bounded by construction: a row keeps at most ``max_cols`` cells (a lone cell at column ZZZZZ does not
grow the row to 12 million Nones), the shared strings stop at ``max_shared`` entries and the sheet at
``max_rows`` rows (``TooLarge``); callers check the archive's unpacked size first
(``kepu.core.uploads.check_zip``).
"""

from __future__ import annotations

import posixpath
import zipfile
from xml.etree.ElementTree import fromstring
from xml.parsers import expat

NS = "{http://schemas.openxmlformats.org/spreadsheetml/2006/main}"
REL_NS = "{http://schemas.openxmlformats.org/officeDocument/2006/relationships}"
PKG_REL_NS = "{http://schemas.openxmlformats.org/package/2006/relationships}"
CHUNK = 1 << 16
MAX_COLS = 64
MAX_SHARED_STRINGS = 2_000_000


class TooLarge(ValueError):
    """The sheet has more rows or shared strings than the caller accepts."""


def _local(name: str) -> str:
    return name.rsplit(":", 1)[-1]


def _col_index(ref: str) -> int:
    n = 0
    for ch in ref:
        if "A" <= ch <= "Z":
            n = n * 26 + ord(ch) - 64
        else:
            break
    return n - 1


def _first_sheet_path(zf: zipfile.ZipFile) -> str:
    workbook = fromstring(zf.read("xl/workbook.xml"))
    sheet = workbook.find(f"{NS}sheets/{NS}sheet")
    rel_id = sheet.get(f"{REL_NS}id")
    rels = fromstring(zf.read("xl/_rels/workbook.xml.rels"))
    for rel in rels.iter(PKG_REL_NS + "Relationship"):
        if rel.get("Id") == rel_id:
            target = rel.get("Target")
            return target.lstrip("/") if target.startswith("/") else posixpath.normpath(posixpath.join("xl", target))
    raise KeyError("first sheet")


class _Parser:
    """Collects text of ``<t>``/``<v>`` elements outside phonetic runs; subclasses decide what an element ends."""

    def __init__(self):
        self.parser = expat.ParserCreate()
        self.parser.buffer_text = True
        self.parser.StartElementHandler = self.start
        self.parser.EndElementHandler = self.end
        self.parser.CharacterDataHandler = self.chars
        self.parts: list[str] | None = None
        self.capture = False
        self.phonetic = 0

    def chars(self, data):
        if self.capture:
            self.parts.append(data)

    def start_text(self, name):
        if name in ("t", "v") and not self.phonetic:
            self.capture = True
            if self.parts is None:
                self.parts = []
        elif name == "rPh":
            self.phonetic += 1

    def end_text(self, name):
        if name in ("t", "v"):
            self.capture = False
        elif name == "rPh":
            self.phonetic -= 1


class _SharedStrings(_Parser):
    def __init__(self, limit: int = MAX_SHARED_STRINGS):
        super().__init__()
        self.strings: list[str] = []
        self.limit = limit

    def start(self, name, attrs):
        name = _local(name)
        if name == "si":
            if len(self.strings) >= self.limit:
                raise TooLarge("shared strings")
            self.parts = []
        else:
            self.start_text(name)

    def end(self, name):
        name = _local(name)
        if name == "si":
            self.strings.append("".join(self.parts or ()))
            self.parts = None
        else:
            self.end_text(name)


class _Sheet(_Parser):
    def __init__(self, shared: list[str], max_cols: int = MAX_COLS, max_rows: int | None = None):
        super().__init__()
        self.shared = shared
        self.rows: list[list] = []
        self.row: list = []
        self.kind = None
        self.col = 0
        self.max_cols = max_cols
        self.max_rows = max_rows
        self.row_count = 0

    def start(self, name, attrs):
        name = _local(name)
        if name == "c":
            self.kind = attrs.get("t")
            ref = attrs.get("r")
            self.col = _col_index(ref) if ref else len(self.row)
            self.parts = None
        elif name == "row":
            self.row = []
        else:
            self.start_text(name)

    def end(self, name):
        name = _local(name)
        if name == "c":
            raw = "".join(self.parts) if self.parts is not None else None
            kind = self.kind
            if raw is None:
                value = None
            elif kind in ("inlineStr", "str", "e"):
                value = raw
            elif raw == "":  # a formula never calculated has an empty value
                value = None
            elif kind == "s":
                value = self.shared[int(raw)]  # an index past the table is IndexError: the file is broken
            elif kind == "b":
                value = raw == "1"
            else:
                value = float(raw)
            row = self.row
            if self.col < self.max_cols:  # cells right of the columns read are dropped, not padded up to
                if self.col > len(row):
                    row.extend([None] * (self.col - len(row)))
                row.append(value)
            self.parts = None
        elif name == "row":
            self.row_count += 1
            if self.max_rows is not None and self.row_count > self.max_rows:
                raise TooLarge("rows")
            self.rows.append(self.row)
        else:
            self.end_text(name)


def _feed(parser: _Parser, fh, on_chunk=None):
    while True:
        data = fh.read(CHUNK)
        parser.parser.Parse(data, not data)
        if on_chunk is not None:
            yield from on_chunk()
        if not data:
            break


def read_rows(source, *, max_cols: int = MAX_COLS, max_rows: int | None = None, max_shared: int = MAX_SHARED_STRINGS):
    """Yield the rows of the first sheet as lists of values (str, float or bool; None for empty cells).

    Rows hold the first ``max_cols`` columns only; past ``max_rows`` rows or ``max_shared`` shared
    strings it raises ``TooLarge``.
    """
    with zipfile.ZipFile(source) as zf:
        shared = _SharedStrings(max_shared)
        if "xl/sharedStrings.xml" in zf.namelist():
            with zf.open("xl/sharedStrings.xml") as fh:
                for _ in _feed(shared, fh):
                    pass
        sheet = _Sheet(shared.strings, max_cols=max_cols, max_rows=max_rows)

        def drain():
            rows, sheet.rows = sheet.rows, []
            yield from rows

        with zf.open(_first_sheet_path(zf)) as fh:
            yield from _feed(sheet, fh, drain)


class _Found(Exception):
    pass


class _Dimension(_Parser):
    def __init__(self):
        super().__init__()
        self.ref = None

    def start(self, name, attrs):
        if _local(name) == "dimension":
            self.ref = attrs.get("ref", "")
            raise _Found
        if _local(name) == "sheetData":
            raise _Found

    def end(self, name):
        pass


def declared_rows(source) -> int:
    """The number of rows the sheet says it has (its ``<dimension>``), for a progress bar only: read from
    the start of the sheet's XML, without the shared strings or the rows."""
    import re

    parser = _Dimension()
    with zipfile.ZipFile(source) as zf, zf.open(_first_sheet_path(zf)) as fh:
        try:
            for _ in _feed(parser, fh):
                pass
        except _Found:
            pass
    match = re.search(r"(\d+)$", parser.ref or "")
    return int(match.group(1)) if match else 0
