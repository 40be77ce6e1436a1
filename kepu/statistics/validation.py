"""Validation rules run over a form's figures: errors block submission, warnings need an explanation.

A rule is skipped where a value it reads is missing (not filled, or not asked of this kind of unit),
as DHIS2's "skip if any value is missing". A ``for_each = "*"`` rule runs once per indicator of the
form that has a value this year and last year, ``X`` standing for it; its key is ``CODE:INDICATOR``.
"""

from __future__ import annotations

from dataclasses import dataclass
from decimal import Decimal

from django.db.models import Q
from django.utils.translation import get_language

from kepu.statistics import expressions
from kepu.statistics.models import Rule, Severity


@dataclass
class Violation:
    key: str
    code: str
    severity: str
    message: str
    left: Decimal
    right: Decimal
    operator: str
    indicator: str = ""
    note: str = ""
    #: For a rule run per indicator: its label, and its value last year and this year.
    label: str = ""
    last: Decimal | None = None
    this: Decimal | None = None

    @property
    def is_error(self) -> bool:
        return self.severity == Severity.ERROR


def rules_for(year: int) -> list[Rule]:
    return list(
        Rule.objects.filter(valid_from__lte=year)
        .filter(Q(valid_to__isnull=True) | Q(valid_to__gte=year))
        .order_by("code")
    )


def _message(rule: Rule) -> str:
    if rule.message_en and (get_language() or "").startswith("en"):
        return rule.message_en
    return rule.message


def run(
    rules: list[Rule], values: dict, last: dict, *, notes: dict | None = None, labels: dict | None = None
) -> list[Violation]:
    """The violations of ``rules`` by this year's ``values`` (code -> Decimal or None, the form's indicators
    only) and last year's ``last``; ``notes`` maps rule keys to the explanations given."""
    notes = notes or {}
    out = []
    for rule in rules:
        targets = [None]
        if rule.for_each:
            targets = [c for c in values if values[c] is not None and last.get(c) is not None]
        for each in targets:
            if any(c != "X" and c not in values for c in expressions.codes(rule.left) | expressions.codes(rule.right)):
                continue  # reads an indicator this form does not have
            left = expressions.evaluate(rule.left, values, last, each=each)
            right = expressions.evaluate(rule.right, values, last, each=each)
            if left is None or right is None or expressions.compare(left, rule.operator, right):
                continue
            key = f"{rule.code}:{each}" if each else rule.code
            out.append(
                Violation(
                    key=key,
                    code=rule.code,
                    severity=rule.severity,
                    message=_message(rule),
                    left=left,
                    right=right,
                    operator=rule.operator,
                    indicator=each or "",
                    note=notes.get(key, ""),
                    label=(labels or {}).get(each, each) if each else "",
                    last=last.get(each) if each else None,
                    this=values.get(each) if each else None,
                )
            )
    return out
