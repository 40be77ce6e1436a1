"""The attendance figures: whole months from the roll-ups, the edge days from the sessions."""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass, field
from datetime import date, timedelta

from django.db.models import Count, Q
from django.utils import timezone

from kepu.activities.models import Activity, FiguresMonthDistrict, Session
from kepu.activities.permissions import rollup_figures, session_figures
from kepu.activities.selectors._common import (
    ROLLUP_SUMS,
    TALLY_SUMS,
    _day_start,
    _period_records,
    _split_period,
    _theme_id,
)
from kepu.core.actor import Actor
from kepu.core.dbrouter import use_replica
from kepu.core.populations import Population
from kepu.core.roles import Role


# --- Figures (dashboard) -------------------------------------------------------------------------------------
@dataclass
class Figures:
    activities: int = 0
    sessions: int = 0
    registrations: int = 0
    checked_in: int = 0
    walk_ins: int = 0
    services: int = 0
    person_times: int = 0
    by_population: dict = field(default_factory=dict)
    by_month: list = field(default_factory=list)
    satisfaction: float | None = None
    survey_sum: int = 0
    survey_count: int = 0

    def add(self, other: Figures) -> None:
        for name in (
            "activities",
            "sessions",
            "registrations",
            "checked_in",
            "walk_ins",
            "services",
            "person_times",
            "survey_sum",
            "survey_count",
        ):
            setattr(self, name, getattr(self, name) + getattr(other, name))
        for p in Population.values:
            self.by_population[p] = self.by_population.get(p, 0) + other.by_population.get(p, 0)
        months = defaultdict(int, self.by_month)
        for m, n in other.by_month:
            months[m] += n
        self.by_month = sorted((m, n) for m, n in months.items() if n)
        self.satisfaction = round(self.survey_sum / self.survey_count, 2) if self.survey_count else None


def _months(first: date, last: date) -> list[tuple[date, date]]:
    out = []
    cursor = first.replace(day=1)
    while cursor <= last:
        following = (cursor + timedelta(days=32)).replace(day=1)
        out.append((cursor, following))
        cursor = following
    return out


def _figures_rollup(
    *,
    actor: Actor,
    first_month: date,
    end_month: date,
    theme: str,
    organization_id: int | None,
    district: str,
    place_path: str = "",
) -> Figures:
    """Whole months from the roll-up: one grouped query (a row per month) instead of every session.

    The city and district offices, without an organizer filter, read the district table
    (a row per month, district and theme); everyone else the finer one.
    """
    whole_districts = (
        not organization_id
        and not place_path
        and (actor.is_city or (actor.role == Role.DISTRICT_ADMIN and actor.place is not None))
    )
    if whole_districts:
        rows = FiguresMonthDistrict.objects.filter(month__gte=first_month, month__lt=end_month)
        if not actor.is_city:
            rows = rows.filter(district_code=actor.place.district_code or actor.place.code)
    else:
        rows = rollup_figures(actor).filter(month__gte=first_month, month__lt=end_month)
    if theme:
        rows = rows.filter(theme_id=_theme_id(theme))  # delivered orders have no theme: left out, as before
    if organization_id:
        rows = rows.filter(organization_id=organization_id)
    if district:
        rows = rows.filter(district_code=district)
    if place_path:
        rows = rows.filter(place_path__startswith=place_path)
    fig = Figures(by_population={p: 0 for p in Population.values})
    months = []
    for r in rows.values("month").annotate(**ROLLUP_SUMS).order_by("month"):
        fig.activities += r["activities"] or 0
        fig.services += r["services"] or 0
        fig.sessions += (r["sessions"] or 0) + (r["services"] or 0)
        fig.registrations += r["registered"] or 0
        fig.checked_in += r["checked_in"] or 0
        fig.walk_ins += r["walk_ins"] or 0
        fig.survey_sum += r["survey_sum"] or 0
        fig.survey_count += r["survey_count"] or 0
        for p in Population.values:
            fig.by_population[p] += r[p] or 0
        if (r["sessions"] or 0) + (r["services"] or 0):
            months.append((r["month"], (r["sessions"] or 0) + (r["services"] or 0)))
    fig.person_times = sum(fig.by_population.values())
    fig.by_month = months
    fig.satisfaction = round(fig.survey_sum / fig.survey_count, 2) if fig.survey_count else None
    return fig


@use_replica
def figures(
    *,
    actor: Actor,
    date_from: date,
    date_to: date,
    theme: str = "",
    organization_id: int | None = None,
    activity_id: int | None = None,
    district: str = "",
    place_path: str = "",
) -> Figures:
    """Sessions (场), registrations, check-ins and person-times (人次) by population, counted once each.

    The whole months of the period come from the monthly roll-up (``FiguresMonth``); the
    days before the first and after the last whole month, and the figures of one activity,
    from the sessions themselves. Both are kept by the same services, so they agree.
    """
    if activity_id:
        return _figures_sessions(
            actor=actor,
            date_from=date_from,
            date_to=date_to,
            theme=theme,
            organization_id=organization_id,
            activity_id=activity_id,
            district=district,
        )
    months, edges = _split_period(date_from, date_to)
    if months is None:
        return _figures_sessions(
            actor=actor,
            date_from=date_from,
            date_to=date_to,
            theme=theme,
            organization_id=organization_id,
            district=district,
            place_path=place_path,
        )
    fig = _figures_rollup(
        actor=actor,
        first_month=months[0],
        end_month=months[1],
        theme=theme,
        organization_id=organization_id,
        district=district,
        place_path=place_path,
    )
    for d1, d2 in edges:
        fig.add(
            _figures_sessions(
                actor=actor,
                date_from=d1,
                date_to=d2,
                theme=theme,
                organization_id=organization_id,
                district=district,
                place_path=place_path,
            )
        )
    return fig


def _figures_sessions(
    *,
    actor: Actor,
    date_from: date,
    date_to: date,
    theme: str = "",
    organization_id: int | None = None,
    activity_id: int | None = None,
    district: str = "",
    place_path: str = "",
) -> Figures:
    """The same figures summed from the sessions (and delivered orders) of the period.

    A session counts in the period it starts in. Person-times are the head counts of
    checked-in registrations plus the walk-ins staff counted (both kept on the session by
    the services), plus the attendance of delivered service orders that were not delivered
    as one of our activities.
    """
    start, end = _day_start(date_from), _day_start(date_to + timedelta(days=1))
    sessions, services = _period_records(
        actor, start, end, theme=theme, organization_id=organization_id, district=district, activity_id=activity_id,
        place_path=place_path,
    )  # fmt: skip
    agg = sessions.aggregate(n=Count("pk"), first=Count("pk", filter=Q(is_first=True)), **TALLY_SUMS)
    fig = Figures()
    fig.sessions = agg["n"]
    # An activity counts once, in the period its first session starts in.
    fig.activities = agg["first"]
    fig.registrations = agg["registered"] or 0
    fig.checked_in = agg["checked_in"] or 0
    fig.walk_ins = agg["walk_ins"] or 0
    by_pop = {p: agg[p] or 0 for p in Population.values}
    fig.services = 0
    service_months: dict[date, int] = defaultdict(int)
    for delivered_at, attendance in services.values_list("delivered_at", "attendance"):
        fig.services += 1
        service_months[timezone.localtime(delivered_at).date().replace(day=1)] += 1
        for pop, n in (attendance or {}).items():
            if pop in by_pop:
                by_pop[pop] += int(n)
    fig.by_population = by_pop
    fig.person_times = sum(by_pop.values())
    fig.sessions += fig.services
    months: dict[date, int] = defaultdict(int, service_months)
    if agg["n"]:
        # One indexed range count per month: truncating dates row by row is slow on SQLite.
        for m_start, m_end in _months(date_from, date_to)[:36]:
            n = sessions.filter(
                starts_at__gte=max(_day_start(m_start), start), starts_at__lt=min(_day_start(m_end), end)
            ).count()
            if n:
                months[m_start] += n
    fig.by_month = sorted(months.items())
    fig.survey_sum, fig.survey_count = agg["survey_sum"] or 0, agg["survey_count"] or 0
    fig.satisfaction = round(agg["survey_sum"] / agg["survey_count"], 2) if agg["survey_count"] else None
    return fig


def figures_by_activity(
    *,
    actor: Actor,
    date_from: date,
    date_to: date,
    theme: str = "",
    organization_id: int | None = None,
    limit: int = 5000,
) -> list[dict]:
    """One row per activity (the latest first) with its sessions in the period: for the table and the Excel export."""
    start, end = _day_start(date_from), _day_start(date_to + timedelta(days=1))
    sessions = session_figures(actor).filter(starts_at__gte=start, starts_at__lt=end)
    if theme:
        sessions = sessions.filter(theme_id_copy=_theme_id(theme))
    if organization_id:
        sessions = sessions.filter(organization_id_copy=organization_id)
    ids = []
    for activity_id in sessions.order_by("-starts_at").values_list("activity_id", flat=True)[: limit * 4]:
        if activity_id not in ids:
            ids.append(activity_id)
            if len(ids) >= limit:
                break
    acts = Activity.objects.in_bulk(ids)
    # Every session of an activity carries the same copied area, organizer and theme, so the
    # ids alone select the rows; repeating the area filter would make the planner walk the
    # area's whole period instead of 20 activities' sessions.
    of_ids = Session.objects.filter(
        counted=True, is_cancelled=False, activity_id__in=ids, starts_at__gte=start, starts_at__lt=end
    )
    rows = {r["activity_id"]: r for r in of_ids.values("activity_id").annotate(n=Count("pk"), **TALLY_SUMS).order_by()}
    out = []
    for activity_id in ids:
        a, r = acts.get(activity_id), rows.get(activity_id)
        if a is None or r is None:
            continue
        pops = {p: r[p] or 0 for p in Population.values}
        out.append(
            {
                "activity": a,
                "sessions": r["n"],
                "registrations": r["registered"] or 0,
                "checked_in": r["checked_in"] or 0,
                "walk_ins": r["walk_ins"] or 0,
                "person_times": sum(pops.values()),
                "by_population": pops,
            }
        )
    return out
