"""The statistics as Excel workbooks in the survey's layout (kepu.core.exports): one sheet per table (KP-001 …).

Each sheet: a title row, the indicators' labels (with their units) and codes as column heads in the
dictionary's order, one row per reporting unit (or per district), then the sum, the duplicates
removed and the total, which are the figures the page shows.

The workbook is the shared one (``kepu.core.exports.Workbook``): a name that begins with ``= + - @``
is kept as a text cell that no spreadsheet runs.
"""

from __future__ import annotations

from io import BytesIO

from django.utils.functional import Promise
from django.utils.translation import gettext as _
from openpyxl.styles import Alignment, Font
from openpyxl.utils import get_column_letter

from kepu.core.exports import Workbook


def safe_text(value):
    """Lazy translations as text; the shared workbook turns formula-like text into a text cell."""
    return str(value) if isinstance(value, Promise) else value


def _number(value):
    if value is None:
        return None
    return int(value) if value == value.to_integral_value() else float(value)


def workbook(title: str, tables: list, rows: list[dict], foot: list[dict]) -> bytes:
    """``tables``: the dictionary's tables, each with its ``indicators``; ``rows``: ``{"cells": [name, kind,
    code], "values": {code: Decimal}}`` one per unit or district; ``foot``: the same for the closing rows."""
    wb = Workbook()
    wb.remove(wb.active)
    heads = [_("Reporting unit"), _("Kind"), _("Area code")]
    for table in tables:
        ws = wb.create_sheet(safe_text(table["sheet"])[:31])
        indicators = table["indicators"]
        ws.append([safe_text(f"{table['code']} {table['name']} · {title}")])
        ws["A1"].font = Font(bold=True, size=13)
        ws.append([safe_text(h) for h in heads] + [safe_text(f"{i.label}（{i.unit}）") for i in indicators])
        ws.append(["", "", _("Code")] + [i.code for i in indicators])
        for cell in ws[2] + ws[3]:
            cell.font = Font(bold=True)
            cell.alignment = Alignment(wrap_text=True, vertical="top")
        for row in rows:
            ws.append([safe_text(c) for c in row["cells"]] + [_number(row["values"].get(i.code)) for i in indicators])
        for row in foot:
            ws.append([safe_text(c) for c in row["cells"]] + [_number(row["values"].get(i.code)) for i in indicators])
            for cell in ws[ws.max_row]:
                cell.font = Font(bold=True)
        ws.column_dimensions["A"].width = 30
        ws.column_dimensions["B"].width = 14
        ws.column_dimensions["C"].width = 12
        for n in range(4, len(indicators) + 4):
            ws.column_dimensions[get_column_letter(n)].width = 14
        ws.freeze_panes = "D4"
    if not tables:  # a year no edition of the dictionary covers: say so rather than hand out a broken file
        wb.create_sheet(safe_text(title)[:31] or "-").append([safe_text(_("No indicators are defined for this year."))])
    out = BytesIO()
    wb.save(out)
    return out.getvalue()
