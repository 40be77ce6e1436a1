"""The one writer of every spreadsheet and CSV file the platform hands out.

Two things make a downloaded sheet dangerous or broken, and both are handled here, once:

* **Formula injection**: a text cell beginning with ``= + - @`` (or a tab or carriage return, which
  some programs strip before reading one of those) is run as a formula by Excel and WPS, so a
  self-registered volunteer named ``=HYPERLINK(…)`` could act in an office's spreadsheet next to full
  ID numbers. In a workbook such text is stored as a text cell marked "quote prefix" (the value is
  unchanged, so a sheet the platform reads back still matches, and editing the cell keeps it text);
  in a CSV, which has no types, it is written with a leading apostrophe.
* **Characters a worksheet cannot hold** (control characters): openpyxl refuses the whole file; they
  are dropped.

Numbers, dates and booleans pass unchanged, so figures stay figures.
"""

from __future__ import annotations

import csv
import re

from openpyxl import Workbook as _Workbook
from openpyxl.cell import Cell, WriteOnlyCell

_FORMULA_START = ("=", "+", "-", "@", "\t", "\r")
_ILLEGAL = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f]")


def cell(value):
    """A value as it may safely stand in a CSV cell (or as text to mark in a workbook)."""
    if isinstance(value, str):
        value = _ILLEGAL.sub("", value)
        if value.startswith(_FORMULA_START):
            return "'" + value
        return value
    if value is None or isinstance(value, int | float | bool):
        return value
    if hasattr(value, "isoformat") or hasattr(value, "as_tuple"):  # dates, times, Decimals
        return value
    return cell(str(value))


def row(values) -> list:
    return [cell(v) for v in values]


def _sheet_value(ws, value):
    """A value for a worksheet: text that looks like a formula becomes a text cell with a quote prefix."""
    if isinstance(value, str):
        value = _ILLEGAL.sub("", value)
        if value.startswith(_FORMULA_START):
            text = (WriteOnlyCell if ws.__class__.__name__ == "WriteOnlyWorksheet" else Cell)(ws, value=value)
            text.data_type = "s"
            text.quotePrefix = True
            return text
        return value
    if isinstance(value, Cell):
        return value
    return cell(value)


def _guard(ws):
    append = ws.append
    ws.append = lambda values: append([_sheet_value(ws, v) for v in values])  # every row goes through here
    return ws


class Workbook(_Workbook):
    """openpyxl's workbook whose sheets write every appended row through ``row()``.

    Exports write rows with ``append`` only; a value set cell by cell would bypass the guard.
    """

    def __init__(self, write_only: bool = False, iso_dates: bool = False):
        super().__init__(write_only=write_only, iso_dates=iso_dates)
        for ws in self._sheets:
            _guard(ws)

    def create_sheet(self, title=None, index=None):
        return _guard(super().create_sheet(title, index))


class _Echo:
    def write(self, value):
        return value


class CsvWriter:
    """``csv.writer`` whose ``writerow`` guards each cell and returns the line (for streaming responses)."""

    def __init__(self, fileobj=None, **kwargs):
        self._writer = csv.writer(fileobj if fileobj is not None else _Echo(), **kwargs)

    def writerow(self, values):
        return self._writer.writerow(row(values))

    def writerows(self, rows):
        for values in rows:
            self.writerow(values)
