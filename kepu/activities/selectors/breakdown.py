"""The dashboard's figures split by place, organizer or theme, adding up to ``figures()``."""

from __future__ import annotations

from collections import defaultdict
from datetime import date, timedelta

from django.db.models import Count, Q
from django.utils.translation import gettext as _

from kepu.activities.models import Theme
from kepu.activities.permissions import rollup_figures
from kepu.activities.selectors._common import (
    ROLLUP_SUMS,
    TALLY_SUMS,
    _day_start,
    _period_records,
    _split_period,
    _theme_id,
)
from kepu.core.actor import Actor
from kepu.core.populations import Population
from kepu.core.roles import AREA_ROLES
from kepu.places.selectors import place_names

#: How the dashboard can break its figures down: by place (the level below the viewer's area), organizer or theme.
BREAKDOWNS = ("place", "organization", "theme")
_BREAKDOWN_FIELDS = {
    "place": ("place_path", "place_path"),
    "organization": ("organization_id", "organization_id_copy"),
    "theme": ("theme_id", "theme_id_copy"),
}


def _group_depth(actor: Actor) -> int:
    """Path segments that name a place group: districts for the city, streets for a district, else communities."""
    if actor.is_city:
        return 2
    if actor.role in AREA_ROLES and actor.area_path:
        return min(actor.area_path.rstrip("/").count("/") + 2, 4)
    return 3


def figures_breakdown(
    *, actor: Actor, date_from: date, date_to: date, by: str, theme: str = "", organization_id: int | None = None
) -> list[dict]:
    """The dashboard's figures split by place, organizer or theme; the rows add up to ``figures()``.

    Whole months come from the fine roll-up (grouped in the database), the edge days from the
    sessions and delivered orders, exactly as ``figures()`` splits the period. Person-times and
    sessions of delivered orders count where the order was delivered; they have no theme.
    """
    groups = _Breakdown(by if by in BREAKDOWNS else "place", _group_depth(actor))
    months, edges = _split_period(date_from, date_to)
    if months is not None:
        _breakdown_months(groups, actor, months, theme=theme, organization_id=organization_id)
    for d1, d2 in edges:
        _breakdown_days(groups, actor, d1, d2, theme=theme, organization_id=organization_id)
    return groups.rows()


class _Breakdown:
    """The dashboard's counts summed per group: a place group (at ``depth`` path segments), an organizer or a theme."""

    FIELDS = ("sessions", "activities", "registrations", "checked_in", "walk_ins", "services", "person_times")

    def __init__(self, by: str, depth: int):
        self.by, self.depth = by, depth
        self.groups: dict = defaultdict(lambda: defaultdict(int))

    def key_of(self, value):
        if self.by == "place":  # a place above the group level (an activity of the whole district) is its own group
            return "/".join([part for part in (value or "").split("/") if part][: self.depth]) + "/"
        return value or 0

    def add(self, value, **counts: int) -> None:
        group = self.groups[self.key_of(value)]
        for name, n in counts.items():
            group[name] += n

    def rows(self) -> list[dict]:
        """One row per group with a count, labelled, the most person-times first."""
        keys = [k for k, g in self.groups.items() if any(g.values())]
        labels = self._labels(keys)
        rows = [
            {
                "key": k,
                "label": labels.get(k) or (_("No theme") if self.by == "theme" else _("Not given")),
                **{f: self.groups[k][f] for f in self.FIELDS},
            }
            for k in keys
        ]
        return sorted(rows, key=lambda r: (-r["person_times"], -r["sessions"], str(r["label"])))

    def _labels(self, keys: list) -> dict:
        if self.by == "place":
            return place_names(keys)
        if self.by == "organization":
            from kepu.orgs.selectors import organization_names

            return organization_names(keys)
        return dict(Theme.objects.filter(pk__in=[k for k in keys if k]).values_list("pk", "name"))


def _tally_counts(row: dict, *, sessions: str, activities: str) -> dict[str, int]:
    """A grouped row of session tallies (roll-up or sessions) as the dashboard's counts."""
    return {
        "sessions": row[sessions] or 0,
        "activities": row[activities] or 0,
        "registrations": row["registered"] or 0,
        "checked_in": row["checked_in"] or 0,
        "walk_ins": row["walk_ins"] or 0,
        "person_times": sum(row[p] or 0 for p in Population.values),
    }


def _breakdown_months(
    groups: _Breakdown, actor: Actor, months: tuple[date, date], *, theme: str, organization_id: int | None
) -> None:
    """Whole months from the fine roll-up, grouped in the database; delivered orders are sessions there too."""
    field_name = _BREAKDOWN_FIELDS[groups.by][0]
    rows = rollup_figures(actor).filter(month__gte=months[0], month__lt=months[1])
    if theme:
        rows = rows.filter(theme_id=_theme_id(theme))
    if organization_id:
        rows = rows.filter(organization_id=organization_id)
    for r in rows.values(field_name).annotate(**ROLLUP_SUMS).order_by():
        counts = _tally_counts(r, sessions="sessions", activities="activities")
        services = r["services"] or 0
        counts["sessions"] += services
        groups.add(r[field_name], **counts, services=services)


def _breakdown_days(
    groups: _Breakdown, actor: Actor, date_from: date, date_to: date, *, theme: str, organization_id: int | None
) -> None:
    """Days outside whole months from the sessions (grouped in the database) and the delivered orders (one by one)."""
    start, end = _day_start(date_from), _day_start(date_to + timedelta(days=1))
    sessions, services = _period_records(actor, start, end, theme=theme, organization_id=organization_id)
    field_name = _BREAKDOWN_FIELDS[groups.by][1]
    for r in (
        sessions.values(field_name)
        .order_by()
        .annotate(n=Count("pk"), first=Count("pk", filter=Q(is_first=True)), **TALLY_SUMS)
    ):
        groups.add(r[field_name], **_tally_counts(r, sessions="n", activities="first"))
    # Delivered orders have a place and an organizer but no theme.
    service_field = {"place": "place_path", "organization": "organization_id"}.get(groups.by)
    for value, attendance in services.values_list(service_field or "pk", "attendance"):
        person_times = sum(int(n) for p, n in (attendance or {}).items() if p in Population.values)
        groups.add(value if service_field else 0, sessions=1, services=1, person_times=person_times)
