"""The offline check-in list as an Excel workbook: written for one session, read back after the door.

Pure reading and writing (no database): ``services.checkin_sheet_export`` and
``services.checkin_sheet_import`` do the checks and the writes.

The workbook has the list (one row per confirmed registration, names and phones masked, a
column to mark who came), a sheet for the walk-ins counted by population, and a hidden sheet
naming the activity, the session and the list's own key, so that a file is never applied to
another session and its walk-ins are never counted twice. The columns that the import reads
hold codes, not labels, so a list exported in one language imports in the other.
"""

from __future__ import annotations

import io
import zipfile
from dataclasses import dataclass, field

from django.utils import timezone
from django.utils.translation import gettext as _
from openpyxl import load_workbook
from openpyxl.styles import Alignment, Font, PatternFill
from openpyxl.utils.exceptions import InvalidFileException
from openpyxl.worksheet.datavalidation import DataValidation

from kepu.core.exports import Workbook
from kepu.core.populations import Population

MARKER = "kepu-checkin-list"
VERSION = 1
META_SHEET = "kepu"
HEADER_ROW = 3  # rows 1-2: the title and how to fill it in
WALK_IN_HEADER_ROW = 2
#: What counts as "came" in the presence column (what people type or pick); empty means "did not come".
PRESENT_MARKS = {"1", "✓", "√", "✔", "y", "yes", "x", "是", "到", "已到"}
MAX_WALK_INS = 10000


def mask_name(name: str) -> str:
    """张三丰 → 张*丰, 李四 → 李*: enough to recognize someone at the door, not to identify them from a lost file."""
    name = (name or "").strip()
    if len(name) <= 1:
        return name
    if len(name) == 2:
        return name[0] + "*"
    return name[0] + "*" * (len(name) - 2) + name[-1]


@dataclass
class SheetRow:
    line: int  # the row number Excel shows
    ticket: str
    mark: str


@dataclass
class WalkInRow:
    line: int
    population: str
    raw: object


@dataclass
class Sheet:
    activity_id: int
    session_id: int
    key: str
    rows: list[SheetRow] = field(default_factory=list)
    walk_ins: list[WalkInRow] = field(default_factory=list)


class SheetUnreadable(ValueError):
    """Not a check-in list written by ``build`` (another file, or its hidden sheet removed)."""


def build(*, activity, session, registrations, key: str) -> bytes:
    wb = Workbook()
    ws = wb.active
    ws.title = _("Check-in list")[:31]
    when = timezone.localtime(session.starts_at).strftime("%Y-%m-%d %H:%M")
    ws.append([f"{activity.title} · {when}"])
    ws["A1"].font = Font(bold=True, size=14)
    ws.append(
        [
            _(
                'Mark everyone who came with 1 in the column "Came", count the walk-ins on the second sheet, '
                "then upload this file on the activity's page. Do not change the ticket codes."
            )
        ]
    )
    ws["A2"].alignment = Alignment(wrap_text=True)
    ws.merge_cells("A2:H2")
    ws.row_dimensions[2].height = 45
    headers = [
        _("Ticket code"),
        _("Name"),
        _("Mobile phone"),
        _("Head count"),
        _("Population"),
        _("Note"),
        _("Checked in"),
        _("Came (1)"),
    ]
    ws.append(headers)
    fill = PatternFill("solid", fgColor="DDE7F5")
    for cell in ws[HEADER_ROW]:
        cell.font = Font(bold=True)
        cell.fill = fill
    for r in registrations:
        user = r.user
        checked = timezone.localtime(r.checked_in_at).strftime("%H:%M") if r.checked_in_at else ""
        ws.append(
            [
                r.ticket_code,
                mask_name(r.name),
                user.masked_phone if user is not None else "",
                r.head_count,
                r.get_population_display(),
                r.note,
                checked,
                "1" if r.checked_in_at else "",
            ]
        )
    last = ws.max_row
    if last > HEADER_ROW:
        came = DataValidation(type="list", formula1='"1"', allow_blank=True)
        came.error = _("Type 1 for someone who came, or leave the cell empty.")
        ws.add_data_validation(came)
        came.add(f"H{HEADER_ROW + 1}:H{last}")
    for col, width in zip("ABCDEFGH", (20, 12, 15, 8, 16, 24, 10, 10), strict=True):
        ws.column_dimensions[col].width = width
    ws.freeze_panes = f"A{HEADER_ROW + 1}"

    walk = wb.create_sheet(_("Walk-ins")[:31])
    walk.append([_("People who came without signing up, by population (head count; leave empty for none).")])
    walk.append([_("Population"), _("Walk-ins"), "code"])
    for cell in walk[WALK_IN_HEADER_ROW]:
        cell.font = Font(bold=True)
        cell.fill = fill
    for p in Population:
        walk.append([str(p.label), None, p.value])
    walk.column_dimensions["A"].width = 28
    walk.column_dimensions["B"].width = 12
    walk.column_dimensions["C"].hidden = True

    meta = wb.create_sheet(META_SHEET)
    for row in ((MARKER, VERSION), ("activity", activity.pk), ("session", session.pk), ("key", key)):
        meta.append(list(row))
    meta.sheet_state = "hidden"
    out = io.BytesIO()
    wb.save(out)
    return out.getvalue()


def _text(value) -> str:
    if value is None:
        return ""
    if isinstance(value, float) and value.is_integer():
        value = int(value)
    return str(value).strip()


#: A check-in list unpacks to a few hundred kilobytes; its rows are bounded by the session's places.
MAX_UNPACKED_BYTES = 32 * 1024 * 1024
MAX_SHEET_ROWS = 20_000


def read(content: bytes) -> Sheet:
    from kepu.core.uploads import UploadError, check_zip

    try:
        check_zip(io.BytesIO(content), max_uncompressed=MAX_UNPACKED_BYTES)  # before openpyxl inflates anything
    except UploadError as exc:
        if exc.code == "archive_unreadable":
            raise SheetUnreadable() from None
        raise
    try:
        wb = load_workbook(io.BytesIO(content), read_only=True, data_only=True)
    except (InvalidFileException, zipfile.BadZipFile, KeyError, OSError, ValueError):
        raise SheetUnreadable() from None
    try:
        if META_SHEET not in wb.sheetnames or len(wb.sheetnames) < 3:
            raise SheetUnreadable()
        meta = {_text(r[0]): r[1] for r in wb[META_SHEET].iter_rows(max_col=2, values_only=True) if r and r[0]}
        if meta.get(MARKER) != VERSION:
            raise SheetUnreadable()
        try:
            sheet = Sheet(activity_id=int(meta["activity"]), session_id=int(meta["session"]), key=_text(meta["key"]))
        except (KeyError, TypeError, ValueError):
            raise SheetUnreadable() from None
        main, walk = wb[wb.sheetnames[0]], wb[wb.sheetnames[1]]
        for line, row in enumerate(
            main.iter_rows(min_row=HEADER_ROW + 1, max_row=HEADER_ROW + MAX_SHEET_ROWS, max_col=8, values_only=True),
            start=HEADER_ROW + 1,
        ):
            row = list(row) + [None] * (8 - len(row))
            ticket, mark = _text(row[0]), _text(row[7])
            if ticket or mark:
                sheet.rows.append(SheetRow(line=line, ticket=ticket, mark=mark))
        for line, row in enumerate(
            walk.iter_rows(
                min_row=WALK_IN_HEADER_ROW + 1, max_row=WALK_IN_HEADER_ROW + 100, max_col=3, values_only=True
            ),
            start=WALK_IN_HEADER_ROW + 1,
        ):
            row = list(row) + [None] * (3 - len(row))
            code = _text(row[2])
            if code or _text(row[1]):
                sheet.walk_ins.append(WalkInRow(line=line, population=code, raw=row[1]))
        return sheet
    finally:
        wb.close()


def is_present(mark: str) -> bool | None:
    """True for a mark of presence, False for an empty cell, None for something unclear."""
    if not mark:
        return False
    return True if mark.strip().lower() in PRESENT_MARKS else None


def walk_in_count(raw) -> int | None:
    """A head count from a cell (empty is 0); None when it is not a whole number from 0 to 10000."""
    text = _text(raw)
    if not text:
        return 0
    try:
        value = float(text)
    except ValueError:
        return None
    if not value.is_integer() or not 0 <= value <= MAX_WALK_INS:
        return None
    return int(value)
