"""Display helpers of the bases pages."""

from django import template
from django.utils.translation import gettext as _

register = template.Library()


def day_names() -> tuple[str, ...]:
    return (_("Mon"), _("Tue"), _("Wed"), _("Thu"), _("Fri"), _("Sat"), _("Sun"), _("; "), _("Closed all day"))


@register.filter
def weekly_summary(hours: dict, names=None) -> str:
    """Weekly hours in one line: runs of days with the same periods, e.g. "Tue–Sun 09:00–12:00 13:30–16:30".
    ``names`` are ``day_names()`` when the caller has them already (a list of bases translates them once)."""
    if not hours:
        return ""
    names = names or day_names()
    runs = []
    for i in range(7):
        periods = " ".join(f"{a}–{b}" for a, b in hours.get(str(i), []))
        if runs and runs[-1][2] == periods and runs[-1][1] == i - 1:
            runs[-1][1] = i
        else:
            runs.append([i, i, periods])
    parts = []
    for first, last, periods in runs:
        if not periods:
            continue
        days = names[first] if first == last else f"{names[first]}–{names[last]}"
        parts.append(f"{days} {periods}")
    return names[7].join(parts) if parts else names[8]
