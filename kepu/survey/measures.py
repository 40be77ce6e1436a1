"""The literacy rate as a figure plan targets can be bound to (``kepu.plans.measures``).

The value is the latest finished estimation of a round, in percent, for the city or for one
district: ``place`` is a place code (a district gives that district's estimate; the city, or no
place, gives the whole-city one), ``year`` picks the round year (latest round otherwise). A
round held before the platform existed counts with its recorded headline rate (city only).
Other filters (organization, theme, population) do not apply to a population survey and are
ignored, as the registry's contract asks.
"""

from __future__ import annotations

from decimal import Decimal

from django.urls import reverse

from kepu.places.choices import PlaceLevel
from kepu.places.selectors import place_by_code_or_none
from kepu.survey.models import EstimationRun, GroupKind, LiteracyEstimate, Round, RunStatus


def _group(filters: dict) -> tuple[str, str] | None:
    """(kind, level) of the estimate that answers ``filters``; None for a place the survey does not estimate."""
    code = filters.get("place")
    if not code:
        return GroupKind.CITY, ""
    place = place_by_code_or_none(code)
    if place is None:
        return None
    if place.level == PlaceLevel.DISTRICT:
        return GroupKind.DISTRICT, place.code
    if place.level == PlaceLevel.CITY:
        return GroupKind.CITY, ""
    return None  # streets and communities: the sample is not designed to estimate them


def _latest_run(filters: dict) -> EstimationRun | None:
    runs = EstimationRun.objects.filter(status=RunStatus.DONE).select_related("round")
    if filters.get("year"):
        runs = runs.filter(round__year=int(filters["year"]))
    return runs.order_by("-round__year", "-finished_at", "-pk").first()


def _percent(rate: float) -> Decimal:
    return (Decimal(str(rate)) * 100).quantize(Decimal("0.01"))


def literacy_rate(filters: dict) -> Decimal:
    group = _group(filters)
    if group is None:
        return Decimal(0)
    kind, level = group
    found: list[tuple[int, int, float]] = []  # (round year, preference, rate): a measured run beats a recorded one
    run = _latest_run(filters)
    if run is not None:
        estimate = (
            LiteracyEstimate.objects.filter(run=run, kind=kind, level=level).values_list("estimate", flat=True).first()
        )
        if estimate is not None:
            found.append((run.round.year, 1, estimate))
    if kind == GroupKind.CITY:
        historic = Round.objects.filter(recorded_rate__isnull=False)
        if filters.get("year"):
            historic = historic.filter(year=int(filters["year"]))
        recorded = historic.order_by("-year").values_list("year", "recorded_rate").first()
        if recorded is not None:
            found.append((recorded[0], 0, recorded[1]))
    return _percent(max(found)[2]) if found else Decimal(0)


def _records_url(filters: dict) -> str:
    run = _latest_run(filters)
    return reverse("survey:results", args=[run.round_id]) if run else reverse("survey:home")


def register() -> bool:
    """Offer the measure to plans when the plans app is installed."""
    try:
        from kepu.core.measures import register_measure
    except ImportError:
        return False
    from django.utils.translation import gettext_lazy as _

    register_measure("survey.literacy_rate", _("Citizens' scientific literacy rate"), "%", literacy_rate, _records_url)
    return True
