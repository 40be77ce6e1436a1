from decimal import ROUND_HALF_UP, Decimal

from django import template
from django.utils.formats import number_format

register = template.Library()


@register.filter
def pct(value, digits=2):
    """0.2407 → 24.07% (localized decimal mark)."""
    if value is None or value == "":
        return "—"
    # Django's number_format cuts digits off instead of rounding them; round first.
    digits = int(digits)
    rounded = Decimal(repr(float(value) * 100)).quantize(Decimal(1).scaleb(-digits), rounding=ROUND_HALF_UP)
    return f"{number_format(rounded, digits)}%"


@register.filter
def get(mapping, key):
    return mapping.get(key) if mapping else None
