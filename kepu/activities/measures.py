"""Figures this app offers to plan targets (``kepu.plans.measures``), read from our own tables.

"Held" means a session of a published activity that was not cancelled and has started by now;
the filters are the plan registry's: ``place`` (a place code: its subtree), ``theme`` (a theme
key such as ``national-science-day``), ``organization``, ``year``, ``date_from``, ``date_to``.
"""

from __future__ import annotations

from datetime import date
from decimal import Decimal
from urllib.parse import urlencode

from django.db.models import F, Sum
from django.urls import reverse
from django.utils import timezone

from kepu.activities.models import ATTENDANCE_FIELDS, Session, Theme
from kepu.places.models import Place


def _sessions(filters: dict):
    qs = Session.objects.filter(counted=True, is_cancelled=False, starts_at__lte=timezone.now())
    code = filters.get("place")
    if code:
        place = Place.objects.filter(code=str(code)).only("path").first()
        qs = qs.filter(place_path__startswith=place.path) if place else qs.none()
    if filters.get("theme"):
        theme_id = Theme.objects.filter(slug=filters["theme"]).values_list("pk", flat=True).first()
        qs = qs.filter(theme_id_copy=theme_id) if theme_id else qs.none()
    if filters.get("organization"):
        qs = qs.filter(organization_id_copy=int(filters["organization"]))
    if filters.get("year"):
        qs = qs.filter(starts_at__year=int(filters["year"]))
    if filters.get("date_from"):
        qs = qs.filter(starts_at__date__gte=date.fromisoformat(str(filters["date_from"])))
    if filters.get("date_to"):
        qs = qs.filter(starts_at__date__lte=date.fromisoformat(str(filters["date_to"])))
    return qs


def sessions_held(filters: dict) -> Decimal:
    """Sessions (场) held."""
    return Decimal(_sessions(filters).count())


def person_times(filters: dict) -> Decimal:
    """Person-times (人次): checked-in attendees and walk-ins, by the tallies kept on each session."""
    total = sum((F(field) for field in ATTENDANCE_FIELDS.values()), start=0)
    return Decimal(_sessions(filters).aggregate(n=Sum(total))["n"] or 0)


def _records_url(filters: dict) -> str:
    query = {k: v for k, v in {"theme": filters.get("theme", ""), "district": filters.get("place", "")}.items() if v}
    return reverse("activities:calendar") + ("?" + urlencode(query) if query else "")


def register() -> bool:
    """Offer the measures to plans when the plans app is installed."""
    try:
        from kepu.plans.measures import register_filter_options, register_measure
    except ImportError:
        return False
    from django.utils.translation import gettext_lazy as _

    register_measure("activities.held", _("Activity sessions held"), "场", sessions_held, _records_url)
    register_measure("activities.person_times", _("Person-times at activities"), "人次", person_times, _records_url)
    register_filter_options("theme", theme_options)
    return True


def theme_options() -> list[tuple[str, str]]:
    """The theme days a target can be filtered by: the key the measures read, and the name people know."""
    return list(Theme.objects.filter(is_active=True).order_by("month", "day", "name").values_list("slug", "name"))
