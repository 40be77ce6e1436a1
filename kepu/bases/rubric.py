"""Judging by a rubric: hard thresholds against figures, experts' scores item by item, their mean.

Pure functions over rows already read, so the sheet on the page, the guard of a transition and
the tests compute the same thing.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from decimal import ROUND_HALF_UP, Decimal

from django.utils.translation import gettext as _

from kepu.bases.models import Metric, Rubric, RubricItem, ScoreSheet, SheetStatus


def one_place(value) -> Decimal:
    return Decimal(value).quantize(Decimal("0.1"), rounding=ROUND_HALF_UP)


@dataclass
class ThresholdResult:
    label: str
    minimum: int
    value: int | None
    met: bool


def thresholds(rubric: Rubric, values: dict) -> list[ThresholdResult]:
    """Each hard threshold with the figure it is judged on; a figure not given does not meet it."""
    out = []
    for t in rubric.thresholds.all():
        value = values.get(t.metric)
        out.append(
            ThresholdResult(
                label=str(Metric(t.metric).label),
                minimum=t.minimum,
                value=value,
                met=value is not None and value >= t.minimum,
            )
        )
    return out


@dataclass
class ItemRow:
    item: RubricItem
    scores: list  # one per sheet, Decimal or None
    comments: list
    mean: Decimal | None


@dataclass
class Sheet:
    """The scoring sheet of an application or review: each scorer's points per item, the means, the verdict."""

    rubric: Rubric
    sheets: list[ScoreSheet]
    rows: list[ItemRow] = field(default_factory=list)
    totals: list = field(default_factory=list)
    mean_total: Decimal | None = None

    @property
    def scored(self) -> list[ScoreSheet]:
        return [s for s in self.sheets if s.status == SheetStatus.SUBMITTED]


def sheet(rubric: Rubric, sheets) -> Sheet:
    """Every submitted sheet's points per item, each item's mean and the mean total (withdrawn sheets are out)."""
    sheets = [s for s in sheets if s.status == SheetStatus.SUBMITTED]
    items = list(rubric.items.all())
    by_sheet = {s.pk: {sc.item_id: sc for sc in s.scores.all()} for s in sheets}
    out = Sheet(rubric=rubric, sheets=sheets)
    for item in items:
        points = [by_sheet[s.pk].get(item.pk) for s in sheets]
        values = [p.points for p in points if p is not None]
        out.rows.append(
            ItemRow(
                item=item,
                scores=[p.points if p is not None else None for p in points],
                comments=[p.comment if p is not None else "" for p in points],
                mean=one_place(sum(values) / len(values)) if values else None,
            )
        )
    out.totals = [s.total for s in sheets]
    if sheets:
        out.mean_total = one_place(sum((s.total or 0) for s in sheets) / len(sheets))
    return out


@dataclass
class Verdict:
    passed: bool
    reasons: list[str]


def verdict(rubric: Rubric, values: dict, mean_total) -> Verdict:
    """Whether the figures meet every threshold and the mean score reaches the pass line (and why not)."""
    reasons = []
    for t in thresholds(rubric, values):
        if not t.met:
            reasons.append(
                _("%(label)s is %(value)s, below the threshold of %(minimum)s.")
                % {"label": t.label, "value": "—" if t.value is None else t.value, "minimum": t.minimum}
            )
    if mean_total is None:
        reasons.append(_("There are no scores yet."))
    elif mean_total < rubric.pass_line:
        reasons.append(
            _("The mean score %(score)s is below the pass line of %(line)s.")
            % {"score": mean_total, "line": rubric.pass_line}
        )
    return Verdict(passed=not reasons, reasons=reasons)
