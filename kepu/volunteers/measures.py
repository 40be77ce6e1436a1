"""Trainings given, as figures plan targets can be bound to (``kepu.plans.measures``).

Two measures, read from our own tables: training sessions held (场) and people trained (人次,
one per attendance recorded). Filters are the plan registry's: ``place`` (a place code: the
organizer is in that subtree), ``organization`` (the organizer), ``year``, ``date_from``,
``date_to`` (on the session's start). Theme and population do not apply to trainings and are
ignored, as the registry's contract asks.
"""

from __future__ import annotations

from datetime import date
from decimal import Decimal

from django.urls import reverse
from django.utils import timezone

from kepu.places.models import Place
from kepu.volunteers.models import TrainingAttendance, TrainingSession


def _filter(qs, filters: dict, prefix: str = ""):
    """Apply the registry's filters to sessions, or to attendances through ``prefix`` = "session__"."""
    code = filters.get("place")
    if code:
        place = Place.objects.filter(code=str(code)).only("path").first()
        if place is None:
            return qs.none()
        qs = qs.filter(**{f"{prefix}training__organization__place__path__startswith": place.path})
    if filters.get("organization"):
        qs = qs.filter(**{f"{prefix}training__organization_id": int(filters["organization"])})
    if filters.get("year"):
        qs = qs.filter(**{f"{prefix}starts_at__year": int(filters["year"])})
    if filters.get("date_from"):
        qs = qs.filter(**{f"{prefix}starts_at__date__gte": date.fromisoformat(str(filters["date_from"]))})
    if filters.get("date_to"):
        qs = qs.filter(**{f"{prefix}starts_at__date__lte": date.fromisoformat(str(filters["date_to"]))})
    return qs


def training_sessions(filters: dict) -> Decimal:
    """Training sessions (场) that have taken place."""
    return Decimal(_filter(TrainingSession.objects.filter(starts_at__lte=timezone.now()), filters).count())


def people_trained(filters: dict) -> Decimal:
    """Person-times trained (人次): each recorded attendance once."""
    return Decimal(_filter(TrainingAttendance.objects.all(), filters, prefix="session__").count())


def register() -> bool:
    """Offer the measures to plans when the plans app is installed."""
    try:
        from kepu.plans.measures import register_measure
    except ImportError:
        return False
    from django.utils.translation import gettext_lazy as _

    def records(filters):
        return reverse("volunteers:trainings")

    register_measure("volunteers.training_sessions", _("Training sessions given"), "场", training_sessions, records)
    register_measure("volunteers.people_trained", _("Person-times trained"), "人次", people_trained, records)
    return True
