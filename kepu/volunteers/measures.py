"""Figures this app offers through the measure registry (``kepu.core.measures``), read from our own records.

* Trainings given: training sessions held (场) and people trained (人次, one per attendance recorded).
* Registered volunteers (注册科普志愿者, 人): people with an active volunteer membership of the
  organizations, joined by the end of the period; a person in two of them is one person. A person
  who also volunteers for an organization outside the filter is a ``shared`` record, so a roll-up
  over both organizations counts them once.
* Service hours (志愿服务时长, 小时): the hours ledger of the organizations in the period (corrections
  included). Every ledger line belongs to one organization, so hours are never shared.

Filters: ``place`` (a place code: the organization is in that subtree), ``organization`` /
``organizations``, ``year``, ``date_from``, ``date_to``. Theme and population do not apply and are
ignored, as the registry's contract asks.
"""

from __future__ import annotations

from collections import defaultdict
from datetime import datetime, time, timedelta
from decimal import Decimal

from django.db.models import Min, Sum
from django.urls import reverse
from django.utils import timezone

from kepu.accounts.selectors import role_holders
from kepu.core import clock
from kepu.core.measures import (
    UNIT_FILTERS,
    Figure,
    Record,
    RecordList,
    SharedRecord,
    memo,
    organization_ids,
    register_measure,
    year_bounds,
)
from kepu.core.roles import Role
from kepu.places.selectors import path_of
from kepu.volunteers.models import HoursEntry, TrainingAttendance, TrainingSession


def _place_path(filters: dict) -> str | None:
    code = filters.get("place")
    if not code:
        return ""
    return path_of(code)


def _filter(qs, filters: dict, *, org_field: str, date_field: str, is_date: bool = False):
    """Apply the registry's filters: the organization through ``org_field``, the period on ``date_field``."""
    path = _place_path(filters)
    if path is None:
        return qs.none()
    if path:
        qs = qs.filter(**{f"{org_field}__place__path__startswith": path})
    orgs = organization_ids(filters)
    if orgs is not None:
        qs = qs.filter(**{f"{org_field}_id__in": orgs})
    first, last = year_bounds(filters)
    if is_date:
        if first:
            qs = qs.filter(**{f"{date_field}__gte": first})
        if last:
            qs = qs.filter(**{f"{date_field}__lte": last})
        return qs
    tz = timezone.get_current_timezone()
    if first:
        qs = qs.filter(**{f"{date_field}__gte": datetime.combine(first, time.min, tzinfo=tz)})
    if last:
        qs = qs.filter(**{f"{date_field}__lt": datetime.combine(last + timedelta(days=1), time.min, tzinfo=tz)})
    return qs


# --- Trainings ----------------------------------------------------------------------------------------
def _training_sessions(filters: dict):
    qs = TrainingSession.objects.filter(starts_at__lte=clock.now())
    return _filter(qs, filters, org_field="training__organization", date_field="starts_at")


def _attendances(filters: dict):
    qs = TrainingAttendance.objects.filter(session__starts_at__lte=clock.now())
    return _filter(qs, filters, org_field="session__training__organization", date_field="session__starts_at")


def training_sessions(filters: dict) -> Decimal:
    """Training sessions (场) that have taken place."""
    return Decimal(_training_sessions(filters).count())


def people_trained(filters: dict) -> Decimal:
    """Person-times trained (人次): each recorded attendance once."""
    return Decimal(_attendances(filters).count())


def _training_records(filters: dict) -> RecordList:
    qs = _training_sessions(filters).select_related("training__organization").order_by("starts_at", "pk")
    return RecordList(
        qs,
        lambda s: Record(
            key=f"volunteers.training_session:{s.pk}",
            label=s.training.title,
            when=s.starts_at,
            who=s.training.organization.display_name,
            url=reverse("volunteers:trainings"),
        ),
    )


def _attendance_records(filters: dict) -> RecordList:
    qs = _attendances(filters).select_related("session__training__organization", "volunteer")
    return RecordList(
        qs.order_by("session__starts_at", "pk"),
        lambda a: Record(
            key=f"volunteers.training_attendance:{a.pk}",
            label=a.session.training.title,
            when=a.session.starts_at,
            who=_masked(a.volunteer.real_name),
            url=reverse("volunteers:trainings"),
        ),
    )


# --- Registered volunteers ----------------------------------------------------------------------------
def _period_end(filters: dict):
    _first, last = year_bounds(filters)
    if last is None:
        return None
    return datetime.combine(last + timedelta(days=1), time.min, tzinfo=timezone.get_current_timezone())


def _members(filters: dict):
    path = _place_path(filters)
    if path is None:
        return None
    qs = role_holders(Role.VOLUNTEER, org_ids=organization_ids(filters), joined_before=_period_end(filters))
    if path:
        qs = qs.filter(organization__place__path__startswith=path)
    return qs


def volunteers_registered(filters: dict) -> Decimal:
    members = _members(filters)
    return Decimal(0 if members is None else members.values("user_id").distinct().count())


def _registered_figure(filters: dict) -> Figure:
    return _registered_figures([filters])[0]


def _memberships(context: tuple, org_ids: tuple[int, ...]) -> tuple[dict[int, set[int]], dict[int, set[int]]]:
    """For ``org_ids``: organization -> its volunteers, and person -> every organization they volunteer for
    (outside ``org_ids`` too). Two queries, however many organizations."""
    path, year, date_from, date_to = context
    end = _period_end({"year": year, "date_from": date_from, "date_to": date_to})
    members = role_holders(Role.VOLUNTEER, org_ids=list(org_ids), joined_before=end)
    if path:
        members = members.filter(organization__place__path__startswith=path)
    by_org: dict[int, set[int]] = defaultdict(set)
    for user_id, org_id in members.values_list("user_id", "organization_id"):
        by_org[org_id].add(user_id)
    orgs_of: dict[int, set[int]] = defaultdict(set)
    everywhere = role_holders(Role.VOLUNTEER, user_ids=members.values("user_id"), joined_before=end)
    for user_id, org_id in everywhere.values_list("user_id", "organization_id"):
        orgs_of[user_id].add(org_id)
    return by_org, orgs_of


def _registered_figures(filters_list: list[dict]) -> list[Figure]:
    """Each person once per figure; a person who also volunteers outside the figure's organizations is shared
    (nobody leads a person: the roll-up keeps the first form's count, see kepu/statistics/rollup.py)."""
    wanted: dict[tuple, set[int]] = defaultdict(set)
    contexts = []
    for f in filters_list:
        path = _place_path(f)
        context = (path, f.get("year") or "", f.get("date_from") or "", f.get("date_to") or "")
        contexts.append(context)
        if path is not None and organization_ids(f) is not None:
            wanted[context].update(organization_ids(f))
    data = {}
    for context, ids in wanted.items():
        ordered = tuple(sorted(ids))
        data[context] = memo(("volunteers.members", context, ordered), lambda c=context, o=ordered: _memberships(c, o))
    out = []
    for f, context in zip(filters_list, contexts, strict=True):
        orgs = organization_ids(f)
        if context[0] is None or orgs is None:
            out.append(Figure(volunteers_registered(f)))
            continue
        by_org, orgs_of = data[context]
        people = set().union(*(by_org.get(o, set()) for o in orgs)) if orgs else set()
        inside = set(orgs)
        shared = tuple(SharedRecord(f"people.user:{pk}", Decimal(1)) for pk in sorted(people) if orgs_of[pk] - inside)
        out.append(Figure(Decimal(len(people)), shared))
    return out


def _masked(name: str) -> str:
    name = name or ""
    if len(name) <= 1:
        return name + "*"
    return name[0] + "*" * (len(name) - 2) + name[-1] if len(name) > 2 else name[0] + "*"


def _member_records(filters: dict) -> RecordList:
    """One row per person (their first membership among the organizations), so the rows add up to the figure."""
    members = _members(filters)
    if members is None:
        members = role_holders(Role.VOLUNTEER).none()
    firsts = members.order_by().values("user_id").annotate(first=Min("pk")).values("first")
    qs = role_holders(Role.VOLUNTEER).filter(pk__in=firsts).select_related("user", "organization").order_by("pk")
    return RecordList(
        qs,
        lambda m: Record(
            key=f"people.user:{m.user_id}",
            label=_masked(m.user.get_display_name()),
            when=m.created_at,
            who=m.organization.display_name,
        ),
    )


# --- Service hours ------------------------------------------------------------------------------------
def _hours_entries(filters: dict):
    return _filter(HoursEntry.objects.all(), filters, org_field="organization", date_field="served_on", is_date=True)


def hours_served(filters: dict) -> Decimal:
    minutes = _hours_entries(filters).aggregate(m=Sum("minutes"))["m"] or 0
    return (Decimal(minutes) / 60).quantize(Decimal("0.1"))


def _hours_records(filters: dict) -> RecordList:
    qs = _hours_entries(filters).select_related("volunteer", "organization").order_by("served_on", "pk")
    return RecordList(
        qs,
        lambda e: Record(
            key=f"volunteers.hours:{e.pk}",
            label=_masked(e.volunteer.real_name),
            when=e.served_on,
            who=e.organization.display_name,
            weight=(Decimal(e.minutes) / 60).quantize(Decimal("0.01")),
            note=e.get_source_display(),
        ),
    )


def register() -> bool:
    from django.utils.translation import gettext_lazy as _

    def trainings(filters):
        return reverse("volunteers:trainings")

    register_measure(
        "volunteers.training_sessions",
        _("Training sessions given"),
        "场",
        training_sessions,
        trainings,
        filters=UNIT_FILTERS,
        records=_training_records,
    )
    register_measure(
        "volunteers.people_trained",
        _("Person-times trained"),
        "人次",
        people_trained,
        trainings,
        filters=UNIT_FILTERS,
        records=_attendance_records,
    )
    register_measure(
        "volunteers.registered",
        _("Registered science volunteers"),
        "人",
        volunteers_registered,
        lambda filters: reverse("volunteers:hours_overview"),
        filters=UNIT_FILTERS,
        records=_member_records,
        shared=lambda f: _registered_figure(f).shared,
        figures=_registered_figures,
    )
    register_measure(
        "volunteers.hours",
        _("Volunteer service hours"),
        "小时",
        hours_served,
        lambda filters: reverse("volunteers:hours_overview"),
        filters=UNIT_FILTERS,
        records=_hours_records,
    )
    return True
