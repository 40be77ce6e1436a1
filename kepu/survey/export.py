"""The results of a round as an Excel workbook (openpyxl)."""

from __future__ import annotations

import io

from django.utils.translation import gettext as _
from openpyxl.styles import Font
from openpyxl.utils import get_column_letter

from kepu.core.exports import Workbook


def results_workbook(round_, results: dict, trend: list[dict]) -> bytes:
    wb = Workbook()
    ws = wb.active
    ws.title = _("Estimates")[:31]
    ws.append([round_.name])
    ws["A1"].font = Font(bold=True, size=14)
    run = results["run"]
    ws.append(
        [_("Respondents"), run.respondents, _("Raked to population margins"), _("yes") if run.calibrated else _("no")]
    )
    ws.append([])
    header = [
        _("Group"),
        _("Level"),
        _("Literacy rate"),
        _("Standard error"),
        _("95% CI low"),
        _("95% CI high"),
        _("Degrees of freedom"),
        _("Respondents"),
        _("Estimated population"),
        _("Design effect"),
    ]
    ws.append(header)
    for cell in ws[ws.max_row]:
        cell.font = Font(bold=True)
    for _kind, group_label, rows in results["groups"]:
        for e in rows:
            ws.append(
                [group_label, e.label, e.estimate, e.se, e.ci_low, e.ci_high, e.df, e.n, round(e.weighted_n), e.deff]
            )
            for col in (3, 4, 5, 6):
                ws.cell(row=ws.max_row, column=col).number_format = "0.00%"
            ws.cell(row=ws.max_row, column=10).number_format = "0.00"
    for i, width in enumerate((16, 24, 12, 12, 12, 12, 10, 10, 14, 10), start=1):
        ws.column_dimensions[get_column_letter(i)].width = width
    if trend:
        ts = wb.create_sheet(_("Trend")[:31])
        ts.append(
            [
                _("Year"),
                _("Round"),
                _("Literacy rate"),
                _("95% CI low"),
                _("95% CI high"),
                _("Source"),
                _("Target rate"),
            ]
        )
        for cell in ts[1]:
            cell.font = Font(bold=True)
        for p in trend:
            ts.append(
                [
                    p["year"],
                    p["name"],
                    p["rate"],
                    p["low"],
                    p["high"],
                    _("recorded figure") if p["recorded"] else _("estimated on the platform"),
                    p["target"],
                ]
            )
            for col in (3, 4, 5, 7):
                ts.cell(row=ts.max_row, column=col).number_format = "0.00%"
        ts.column_dimensions["B"].width = 36
    buf = io.BytesIO()
    wb.save(buf)
    return buf.getvalue()
