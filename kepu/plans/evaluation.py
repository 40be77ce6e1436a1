"""Evaluation of units (绩效考评): a score out of 100 per unit, with the basis of every point.

Three parts, weighted by the plan's ``score_weights`` (targets 50, on time 30, quality 20
unless the office changes them):

* targets: the share of the targets of the unit's tasks that are met; for a unit whose tasks
  carry no targets, the mean progress of its tasks.
* on time: the share of the unit's tasks it reported on at least once before the deadline.
* quality: the mean of the office's quality marks (0–5) on the unit's reports; no marks, no
  points (the basis says so).

Budget and spend of the unit's tasks (as lead unit) are shown beside the score so funding can
be judged against results.
"""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass, field
from decimal import ROUND_HALF_UP, Decimal

from django.utils.translation import gettext as _

from kepu.plans.models import ProgressReport
from kepu.plans.selectors import PlanView, supervision_by_unit

ZERO = Decimal("0")


def _round(value: Decimal) -> Decimal:
    return value.quantize(Decimal("0.1"), rounding=ROUND_HALF_UP)


@dataclass
class ScorePart:
    code: str
    label: str
    points: Decimal
    out_of: int
    basis: str


@dataclass
class UnitScore:
    organization: object
    parts: list[ScorePart] = field(default_factory=list)
    budget: Decimal = ZERO
    spent: Decimal = ZERO
    tasks: int = 0

    @property
    def total(self) -> Decimal:
        return _round(sum((p.points for p in self.parts), ZERO))


def evaluate(view: PlanView, *, only_org: int | None = None) -> list[UnitScore]:
    plan = view.plan
    weights = plan.score_weights
    reports = ProgressReport.objects.filter(task__plan=plan).values(
        "task_id", "organization_id", "on_time", "quality_mark"
    )
    on_time_tasks: dict[int, set[int]] = defaultdict(set)
    marks: dict[int, list[int]] = defaultdict(list)
    for r in reports:
        if r["on_time"]:
            on_time_tasks[r["organization_id"]].add(r["task_id"])
        if r["quality_mark"] is not None:
            marks[r["organization_id"]].append(r["quality_mark"])

    scores = []
    for row in supervision_by_unit(view, only_org=only_org):
        org = row.organization
        score = UnitScore(organization=org, tasks=len(row.tasks))
        targets = [tv for t in row.tasks for tv in t.targets]
        w = Decimal(weights.get("targets", 0))
        if targets:
            met = sum(1 for tv in targets if tv.met)
            points = w * met / len(targets)
            basis = _("%(met)s of %(total)s targets met") % {"met": met, "total": len(targets)}
        else:
            mean = sum((t.progress for t in row.tasks), ZERO) / len(row.tasks)
            points = w * mean
            basis = _("no numeric targets; mean task progress %(pct)s%%") % {"pct": int(mean * 100)}
        score.parts.append(ScorePart("targets", _("Targets met"), _round(points), int(w), basis))

        w = Decimal(weights.get("on_time", 0))
        reported = len({t.node.pk for t in row.tasks} & on_time_tasks[org.pk])
        score.parts.append(
            ScorePart(
                "on_time",
                _("Reports on time"),
                _round(w * reported / len(row.tasks)),
                int(w),
                _("reported on time on %(n)s of %(total)s tasks") % {"n": reported, "total": len(row.tasks)},
            )
        )

        w = Decimal(weights.get("quality", 0))
        unit_marks = marks[org.pk]
        if unit_marks:
            mean_mark = Decimal(sum(unit_marks)) / len(unit_marks)
            score.parts.append(
                ScorePart(
                    "quality",
                    _("Quality marks"),
                    _round(w * mean_mark / 5),
                    int(w),
                    _("mean mark %(mean)s of 5 over %(n)s reports") % {"mean": _round(mean_mark), "n": len(unit_marks)},
                )
            )
        else:
            score.parts.append(ScorePart("quality", _("Quality marks"), ZERO, int(w), _("no reports marked yet")))
        for t in row.tasks:
            if t.node.lead_unit_id == org.pk:
                score.budget += t.node.budget or ZERO
                score.spent += t.node.spent or ZERO
        scores.append(score)
    scores.sort(key=lambda s: (-s.total, s.organization.name))
    return scores
