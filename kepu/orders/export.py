"""The three rates as an Excel workbook (openpyxl)."""

from io import BytesIO

from django.utils.translation import gettext as _
from openpyxl.styles import Font
from openpyxl.utils import get_column_letter

from kepu.core.exports import Workbook

COLUMNS = (
    ("label", ""),
    ("total", "Orders"),
    ("routed", "Dispatched to a unit"),
    ("on_time", "Claimed on time"),
    ("response_rate", "Response rate (%)"),
    ("claimed", "Claimed"),
    ("done", "Delivered"),
    ("completion_rate", "Completion rate (%)"),
    ("rated", "Rated"),
    ("satisfied", "Rated 4 or 5"),
    ("satisfaction_rate", "Satisfaction rate (%)"),
    ("avg_rating", "Average rating"),
    ("overdue", "Overdue now"),
)


def _headers(by_label: str) -> list[str]:
    names = {
        "Orders": _("Orders"),
        "Dispatched to a unit": _("Dispatched to a unit"),
        "Claimed on time": _("Claimed on time"),
        "Response rate (%)": _("Response rate (%)"),
        "Claimed": _("Claimed"),
        "Delivered": _("Delivered"),
        "Completion rate (%)": _("Completion rate (%)"),
        "Rated": _("Rated"),
        "Rated 4 or 5": _("Rated 4 or 5"),
        "Satisfaction rate (%)": _("Satisfaction rate (%)"),
        "Average rating": _("Average rating"),
        "Overdue now": _("Overdue now"),
    }
    return [by_label] + [str(names[title]) for _key, title in COLUMNS[1:]]


def rates_workbook(figures: dict) -> bytes:
    wb = Workbook()
    ws = wb.active
    ws.title = _("Three rates")[:31]
    ws.append(_headers(_("Group")))
    for cell in ws[1]:
        cell.font = Font(bold=True)
    for row in figures["groups"]:
        ws.append([row.get(key) for key, _title in COLUMNS])
    total = dict(figures["overall"], label=_("All"))
    ws.append([total.get(key) for key, _title in COLUMNS])
    for cell in ws[ws.max_row]:
        cell.font = Font(bold=True)
    for i in range(1, len(COLUMNS) + 1):
        ws.column_dimensions[get_column_letter(i)].width = 16 if i > 1 else 28
    ws.freeze_panes = "B2"
    out = BytesIO()
    wb.save(out)
    return out.getvalue()
