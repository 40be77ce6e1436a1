"""How the leaders' page writes a figure and its change since last year."""

from __future__ import annotations

from decimal import Decimal

from django import template
from django.utils.translation import gettext as _

from kepu.leaders.charts import fmt

register = template.Library()


@register.filter
def figure(value, unit: str = "") -> str:
    """A figure with its unit ("27.7%", "1,204 人次"); a dash where nothing is measured."""
    if value is None or value == "":
        return "—"
    text = fmt(value)
    if unit == "%":
        return f"{text}%"
    return f"{text} {unit}".rstrip()


@register.filter
def change(row) -> dict | None:
    """The change since last year: points for a rate, per cent (or the difference from zero) for a count."""
    c = row.change
    if not c:  # unknown, or no change: nothing to point at
        return None
    sign = "+" if c > 0 else ""
    if row.rate:
        text = _("%(points)s points") % {"points": f"{sign}{fmt(c)}"} if row.unit == "%" else f"{sign}{fmt(c)}"
    elif row.change_percent is not None:
        text = f"{sign}{fmt(row.change_percent)}%"
    else:
        text = f"{sign}{fmt(c)}"
    return {"text": text, "css": "up" if c > 0 else "down" if c < Decimal(0) else ""}
