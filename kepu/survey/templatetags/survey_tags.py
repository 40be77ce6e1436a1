from django import template
from django.utils.formats import number_format

register = template.Library()


@register.filter
def pct(value, digits=2):
    """0.2407 → 24.07% (localized decimal mark)."""
    if value is None or value == "":
        return "—"
    return f"{number_format(float(value) * 100, int(digits))}%"


@register.filter
def get(mapping, key):
    return mapping.get(key) if mapping else None
