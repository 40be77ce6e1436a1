"""The literacy survey's section of the leaders' page (``kepu.core.figures``): the latest estimate with its 95 %
confidence interval, for the city and each district (the sample is not designed to estimate a street: a dash).

"Latest" for a year is the last finished estimation of a round held that year or before; two queries for the
city and all its districts at once.
"""

from __future__ import annotations

from decimal import Decimal

from django.urls import reverse
from django.utils.translation import gettext_lazy as _

from kepu.core.figures import FigureDef, FigureProvider, register_provider
from kepu.survey.models import EstimationRun, GroupKind, LiteracyEstimate, RunStatus


def _run(year: int) -> EstimationRun | None:
    return (
        EstimationRun.objects.filter(status=RunStatus.DONE, round__year__lte=year)
        .select_related("round")
        .order_by("-round__year", "-finished_at", "-pk")
        .first()
    )


def _pct(value) -> Decimal | None:
    return None if value is None else (Decimal(str(value)) * 100).quantize(Decimal("0.01"))


def values(places, year: int) -> dict[str, dict]:
    empty = {"literacy.rate": None, "literacy.ci_low": None, "literacy.ci_high": None, "literacy.year": None}
    out = {p.code: dict(empty) for p in places}
    wanted = [p for p in places if p.level in ("city", "district")]
    run = _run(year) if wanted else None
    if run is None:
        return out
    estimates = LiteracyEstimate.objects.filter(run=run, kind__in=(GroupKind.CITY, GroupKind.DISTRICT))
    found = {(e.kind, e.level): e for e in estimates.only("kind", "level", "estimate", "ci_low", "ci_high")}
    for p in wanted:
        e = found.get((GroupKind.CITY, "")) if p.level == "city" else found.get((GroupKind.DISTRICT, p.code))
        if e is not None:
            out[p.code] = {
                "literacy.rate": _pct(e.estimate),
                "literacy.ci_low": _pct(e.ci_low),
                "literacy.ci_high": _pct(e.ci_high),
                "literacy.year": Decimal(run.round.year),
            }
    return out


def records_url(key: str, place, year: int) -> str:
    run = _run(year)
    return reverse("survey:results", args=[run.round_id]) if run else reverse("survey:home")


def register() -> None:
    register_provider(
        FigureProvider(
            section="literacy",
            label=_("Scientific literacy"),
            order=80,
            figures=(
                FigureDef(
                    "literacy.rate",
                    _("Citizens' scientific literacy rate"),
                    "%",
                    measure="survey.literacy_rate",
                    rate=True,
                ),
                FigureDef("literacy.ci_low", _("95% CI low"), "%", rate=True, mappable=False),
                FigureDef("literacy.ci_high", _("95% CI high"), "%", rate=True, mappable=False),
                FigureDef("literacy.year", _("Survey year"), "", rate=True, mappable=False),
            ),
            values=values,
            records_url=records_url,
            levels=frozenset({"city", "district"}),
        )
    )
