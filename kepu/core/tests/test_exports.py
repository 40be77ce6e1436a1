"""Every spreadsheet and CSV goes through one writer that neutralizes formulas and drops illegal characters."""

import io
import re
from pathlib import Path

import pytest
from openpyxl import load_workbook

from kepu.core.exports import CsvWriter, Workbook, cell

KEPU = Path(__file__).resolve().parents[2]


@pytest.mark.parametrize(
    "text", ['=HYPERLINK("http://x","点我")', "+1+1", "-2+3", "@SUM(A1)", "\t=1", "\r=1", "=cmd|' /C calc'!A0"]
)
def test_text_that_a_spreadsheet_would_run_is_written_as_text(text):
    assert cell(text) == "'" + text


def test_numbers_dates_and_plain_text_pass_unchanged():
    from datetime import date
    from decimal import Decimal

    for value in (-5, 3.5, True, None, date(2026, 1, 1), Decimal("-1.5"), "张三", "13800001234"):
        assert cell(value) == value


def test_the_workbook_guards_every_sheet_and_the_file_opens():
    wb = Workbook()
    wb.active.append(["=1+1", "旧\x01标题", -3])
    wb.create_sheet("more").append(["@x"])
    out = io.BytesIO()
    wb.save(out)
    read = load_workbook(io.BytesIO(out.getvalue()))
    assert [c.value for c in read.worksheets[0][1]] == ["=1+1", "旧标题", -3]
    first = read.worksheets[0]["A1"]
    assert first.data_type == "s" and first.quotePrefix  # text, shown and kept as text, never a formula
    assert read.worksheets[1]["A1"].quotePrefix and read.worksheets[1]["A1"].value == "@x"


def test_the_csv_writer_guards_each_cell():
    assert CsvWriter().writerow(["=HYPERLINK(1)", "ok", 5]) == "'=HYPERLINK(1),ok,5\r\n"


def test_no_export_writes_a_sheet_or_csv_without_the_shared_writer():
    """New apps included: openpyxl's Workbook and csv.writer are used by kepu.core.exports only."""
    offenders = []
    for path in KEPU.rglob("*.py"):
        rel = path.relative_to(KEPU).as_posix()
        if "/tests/" in rel or rel.startswith(("core/exports.py", "core/tests")) or "/migrations/" in rel:
            continue
        text = path.read_text(encoding="utf-8")
        if re.search(r"from openpyxl import [^\n]*\bWorkbook\b|openpyxl\.Workbook\(|csv\.(writer|DictWriter)\(", text):
            offenders.append(rel)
    assert offenders == []


@pytest.mark.django_db
def test_a_volunteer_named_like_a_formula_is_text_in_the_hours_export(client, world):
    from datetime import date

    from kepu.core.testing.web import login
    from kepu.volunteers import services
    from kepu.volunteers.tests.factories import member_volunteer

    _actor, volunteer = member_volunteer(world.a.team, world.a.team_staff, real_name='=HYPERLINK("http://evil","x")')
    services.credit_hours(
        volunteer=volunteer, organization=world.a.team, minutes=60, source="import", key="k1", served_on=date.today()
    )
    login(client, world.a.team_staff)
    body = b"".join(client.get("/volunteers/org/hours.csv").streaming_content).decode("utf-8-sig")
    assert "'=HYPERLINK" in body and ",=HYPERLINK" not in body
    sheet = client.get("/volunteers/org/volunteers.xlsx")
    wb = load_workbook(io.BytesIO(sheet.content))
    cells = [c for r in wb.active.iter_rows() for c in r if c.value == volunteer.real_name]
    assert cells and all(c.data_type == "s" and c.quotePrefix for c in cells)
