"""Helpers for the statistics' tests: platforms built through the services, as people build them."""

from __future__ import annotations

from datetime import datetime, timedelta

from django.utils import timezone

from kepu.activities import services as activities
from kepu.core import clock
from kepu.core.actor import Actor
from kepu.core.roles import Role

TZ = timezone.get_fixed_timezone(480)
YEAR = 2026
#: A moment late in the year, when the forms are filled (activities before it have been held).
LATE = datetime(YEAR, 12, 10, 10, 0, tzinfo=TZ)


def held_activity(actor: Actor, *, kind="lecture", day=100, sessions=1, walk_ins=(), co_hosts=(), organization=None,
                  title="科普讲座", online=False):  # fmt: skip
    """An activity of ``actor``'s organization held ``day`` days into the year, published, with ``walk_ins``
    (head counts, one per session) recorded and ``co_hosts`` (organizations) named."""
    start = datetime(YEAR, 1, 1, 9, 0, tzinfo=TZ) + timedelta(days=day)
    where = {"online_url": "https://live.example.cn/kepu", "address": ""} if online else {}
    activity = activities.activity_create(
        actor=actor,
        organization=organization or actor.organization,
        title=title,
        kind=kind,
        sessions=[
            (start + timedelta(days=7 * i), start + timedelta(days=7 * i, hours=2), 500) for i in range(sessions)
        ],
        **where,
    )
    activity = activities.activity_submit(actor=actor, activity=activity)
    if co_hosts:
        activities.activity_set_co_organizers(actor=actor, activity=activity, organizations=co_hosts)
    for session, n in zip(activity.sessions.order_by("starts_at"), walk_ins, strict=False):
        if n:  # counted at the door, while the session runs
            with clock.frozen_at(session.starts_at + timedelta(minutes=30)):
                activities.walk_in_record(actor=actor, session=session, head_count=n, population="youth")
    return activity


def office_actor(d) -> Actor:
    return d.admin


def staff_for(org, role=None) -> Actor:
    from kepu.accounts.tests.factories import person
    from kepu.statistics.units import FILER_ROLE

    return person(org, role or FILER_ROLE.get(org.kind, Role.ORG_STAFF))


def open_year(d, year=YEAR):
    """Open ``year`` for world district ``d`` as its district office; the forms by organization id."""
    from kepu.statistics import services
    from kepu.statistics.models import Report, ReportLevel

    services.year_open(actor=d.admin, district=d.place, year=year)
    return {r.organization_id: r for r in Report.objects.filter(district=d.place, year=year, level=ReportLevel.UNIT)}


def fill_empty(report, actor, value=0):
    """Fill every empty figure of ``report`` with ``value`` as the unit (first entries need no reason)."""
    from kepu.statistics import services
    from kepu.statistics.models import Value

    empty = Value.objects.filter(report=report, value__isnull=True).values_list("indicator__code", flat=True)
    return services.values_set(actor=actor, report=report, values={c: value for c in empty})


def district_table(d, year=YEAR):
    from kepu.statistics.models import Report, ReportLevel

    return Report.objects.get(district=d.place, year=year, level=ReportLevel.DISTRICT)


def filer_staff(d) -> dict:
    """organization id -> an actor who fills that reporting unit's form, for every filer of world district ``d``."""
    return {
        d.office.pk: d.admin,
        d.unit.pk: d.unit_staff,
        d.street_office.pk: d.street_staff,
        d.base.pk: d.base_staff,
        d.unit2.pk: staff_for(d.unit2),
        d.street2_office.pk: staff_for(d.street2_office),
    }
