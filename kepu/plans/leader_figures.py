"""The plans' section of the leaders' page (``kepu.core.figures``): the progress of the work plans of a place.

A place's plans are those its office owns whose period covers the year (a 2021–2035 outline counts every year);
their tasks are counted by supervision status as the plan page computes it (``plan_progress``), judged on the
last day of the year (today for the year in progress). The plans' live targets are offered beside the figures
that count the same measure (``register_targets``).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from decimal import Decimal

from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from kepu.core import clock
from kepu.core.figures import Breakdown, FigureDef, FigureProvider, register_provider, register_targets
from kepu.plans.models import Plan, PlanStatus
from kepu.plans.progress import Status
from kepu.plans.selectors import plan_progress

KEYS = {
    Status.ON_TRACK: "plans.on_track",
    Status.DONE: "plans.done",
    Status.AT_RISK: "plans.at_risk",
    Status.OVERDUE: "plans.overdue",
    Status.NOT_REPORTED: "plans.not_reported",
}


def _plans(places, year: int):
    return (
        Plan.objects.filter(
            place__in=[p.pk for p in places],
            period_start__year__lte=year,
            period_end__year__gte=year,
            status__in=(PlanStatus.ACTIVE, PlanStatus.CLOSED),
        )
        .select_related("owner", "place")
        .order_by("place_id", "-year", "pk")
    )


def _day(year: int) -> date:
    return min(date(year, 12, 31), timezone.localdate(clock.now()))


#: A plan's progress is computed live, target by target (a measure each): the page keeps each plan's summary for
#: a few minutes, as the bases keep their visitors, so a leader's page costs a few reads of the cache, not a
#: recount of every target of the city's plans on every view. A report filed shows on the page within this time.
PROGRESS_CACHE_SECONDS = 300


def _views(places, year: int):
    return [plan_progress(plan, today=_day(year)) for plan in _plans(places, year)]


def _summaries(places, year: int) -> list[tuple[int, dict, Decimal]]:
    """``(place id, {status: tasks}, progress)`` of each plan of the places, from the cache where it is fresh."""
    from django.core.cache import cache

    day = _day(year)
    plans = list(_plans(places, year))
    keys = {plan.pk: f"kepu.plans.leaders:{plan.pk}:{day}" for plan in plans}
    found = cache.get_many(list(keys.values()))
    out = []
    for plan in plans:
        summary = found.get(keys[plan.pk])
        if summary is None:
            view = plan_progress(plan, today=day)
            summary = ({str(k): n for k, n in view.by_status().items()}, view.progress)
            cache.set(keys[plan.pk], summary, PROGRESS_CACHE_SECONDS)
        out.append((plan.place_id, *summary))
    return out


def values(places, year: int) -> dict[str, dict]:
    out = {p.code: {"plans.count": Decimal(0), **{k: Decimal(0) for k in KEYS.values()}} for p in places}
    code_of = {p.pk: p.code for p in places}
    progress: dict[str, list] = {}
    for place_id, by_status, ratio in _summaries(places, year):
        row = out[code_of[place_id]]
        row["plans.count"] += 1
        for status, n in by_status.items():
            row[KEYS[Status(status)]] += n
        progress.setdefault(code_of[place_id], []).append(ratio)
    for code, row in out.items():
        ratios = progress.get(code)
        row["plans.progress"] = (sum(ratios) * 100 / len(ratios)).quantize(Decimal("0.1")) if ratios else None
    return out


def details(place, year: int) -> list[Breakdown]:
    from django.core.cache import cache

    key = f"kepu.plans.leaders.details:{place.pk}:{_day(year)}"
    rows = cache.get(key)
    if rows is None:
        rows = []
        for view in _views([place], year):
            for t in view.tasks:
                if t.status in (Status.AT_RISK, Status.OVERDUE):
                    units = "、".join(u.display_name for u in t.units)
                    rows.append((f"{t.node.marker} {t.node.title}（{units}）· {t.status_label}", Decimal(t.percent)))
        cache.set(key, rows, PROGRESS_CACHE_SECONDS)
    return [Breakdown(_("Plan tasks at risk or overdue (progress, %)"), "%", tuple(rows[:30]))] if rows else []


def records_url(key: str, place, year: int) -> str:
    plan = _plans([place], year).first()
    if plan is None:
        return reverse("plans:list")
    return reverse("plans:supervision", args=[plan.pk])


@dataclass(frozen=True)
class PlanTarget:
    label: str
    quantity: Decimal
    comparator: str
    unit: str
    url: str


def targets(place, year: int) -> dict[str, list[PlanTarget]]:
    """Live targets of the place's plans that count a measure over that place (the plan's own when the binding
    names none) in that year (or over the plan's whole period)."""
    from kepu.plans.models import Target

    out: dict[str, list[PlanTarget]] = {}
    plans = list(_plans([place], year).values_list("pk", flat=True))
    if not plans:
        return out
    for t in Target.objects.filter(task__plan_id__in=plans).exclude(measure_key="").select_related("task__plan__place"):
        filters = t.measure_filters or {}
        where = str(filters.get("place") or t.task.plan.place.code)
        if where != place.code or (filters.get("year") and int(filters["year"]) != year):
            continue
        out.setdefault(t.measure_key, []).append(
            PlanTarget(t.label, t.quantity, t.comparator, t.unit_of_measure, reverse("plans:task", args=[t.task_id]))
        )
    return out


def register() -> None:
    register_provider(
        FigureProvider(
            section="plans",
            label=_("Work plans"),
            order=70,
            figures=(
                FigureDef("plans.progress", _("Plan progress"), "%", rate=True, mappable=False),
                FigureDef("plans.done", _("Tasks done"), "项", mappable=False),
                FigureDef("plans.on_track", _("Tasks on track"), "项", mappable=False),
                FigureDef("plans.at_risk", _("Tasks at risk"), "项", mappable=False),
                FigureDef("plans.overdue", _("Tasks overdue"), "项", mappable=False),
                FigureDef("plans.not_reported", _("Tasks not reported"), "项", mappable=False),
            ),
            values=values,
            records_url=records_url,
            details=details,
        )
    )
    register_targets(targets)
