"""Display of figures: whole numbers without decimals, others with at most two places, "—" for none."""

from decimal import Decimal

from django import template

register = template.Library()


def figure_text(value) -> str:
    if value is None or value == "":
        return "—"
    d = Decimal(value)
    if d == d.to_integral_value():
        return f"{int(d):,}"
    return f"{d.normalize():,f}"


@register.filter
def figure(value) -> str:
    return figure_text(value)


@register.filter
def plain(value) -> str:
    """A figure as an input shows it (no thousands separators)."""
    if value is None:
        return ""
    d = Decimal(value)
    return str(int(d)) if d == d.to_integral_value() else f"{d.normalize():f}"
