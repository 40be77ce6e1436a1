"""The plan, its progress and the evaluation as an Excel workbook (openpyxl)."""

from __future__ import annotations

import io

from django.utils.translation import gettext as _
from openpyxl.styles import Font

from kepu.core.exports import Workbook


def _sheet(wb, title, header, rows):
    ws = wb.create_sheet(title)
    ws.append([str(h) for h in header])
    for cell in ws[1]:
        cell.font = Font(bold=True)
    for row in rows:
        ws.append(row)
    ws.freeze_panes = "A2"
    return ws


def plan_workbook(view, scores) -> bytes:
    wb = Workbook()
    wb.remove(wb.active)
    plan = view.plan
    _sheet(
        wb,
        _("Tasks"),
        [
            _("Number"),
            _("Task"),
            _("Lead unit"),
            _("Co-units"),
            _("Deadline"),
            _("Weight"),
            _("Progress (%)"),
            _("Status"),
            _("Last report"),
            _("Budget (10k yuan)"),
            _("Spent (10k yuan)"),
        ],
        [
            [
                "　" * n.depth + n.node.marker,
                n.node.title,
                n.node.lead_unit.name if n.node.lead_unit else "",
                "、".join(u.name for u in n.units if u.pk != n.node.lead_unit_id) if n.node.is_task else "",
                (n.node.deadline or plan.period_end).isoformat() if n.node.is_task else "",
                float(n.node.weight) if not n.node.is_text else None,
                n.percent if not n.node.is_text else None,
                n.status_label if n.node.is_task else "",
                n.last_report.isoformat() if n.last_report else "",
                float(n.node.budget) if n.node.budget is not None else None,
                float(n.node.spent) if n.node.spent is not None else None,
            ]
            for n in view.nodes
        ],
    )
    _sheet(
        wb,
        _("Targets"),
        [
            _("Task"),
            _("What is measured"),
            _("Qualifier"),
            _("Quantity"),
            _("Unit of measure"),
            _("Period of the target"),
            _("Current"),
            _("Met"),
            _("Source"),
        ],
        [
            [
                f"{n.node.marker}{n.node.title}",
                tv.target.label,
                tv.target.comparator,
                float(tv.target.quantity),
                tv.target.unit_of_measure,
                tv.target.period_label,
                float(tv.current) if tv.current is not None else None,
                _("yes") if tv.met else _("no"),
                tv.measure_label or _("reported by units"),
            ]
            # Every target of the plan: the tasks' and the goals kept with its text and sections.
            for n in view.nodes
            for tv in n.targets
        ],
    )
    _sheet(
        wb,
        _("Evaluation"),
        [
            _("Unit"),
            _("Score"),
            *[p.label for p in (scores[0].parts if scores else [])],
            _("Basis"),
            _("Budget (10k yuan)"),
            _("Spent (10k yuan)"),
        ],
        [
            [
                s.organization.name,
                float(s.total),
                *[float(p.points) for p in s.parts],
                "；".join(f"{p.label}: {p.basis}" for p in s.parts),
                float(s.budget),
                float(s.spent),
            ]
            for s in scores
        ],
    )
    out = io.BytesIO()
    wb.save(out)
    return out.getvalue()
