"""Orders for tests, built through the services (as users would make them)."""

from datetime import timedelta
from types import SimpleNamespace

from django.utils import timezone

from kepu.accounts.tests.factories import person
from kepu.core import clock
from kepu.core.roles import Role
from kepu.orders import services
from kepu.orders.models import ServiceKind, Topic, TopicUnit
from kepu.orgs.choices import OrgKind
from kepu.orgs.tests.factories import OrganizationFactory


def add_order_parties(world) -> SimpleNamespace:
    """Give each district of ``build_world`` a second team, a volunteer and a default unit for health."""
    for d in (world.a, world.b):
        d.unit.topics = ["health"]
        d.unit.save(update_fields=["topics"])
        d.team.topics = ["health"]
        d.team.save(update_fields=["topics"])
        TopicUnit.objects.create(district=d.place, topic=Topic.HEALTH, unit=d.unit)
        d.team2 = OrganizationFactory(name=f"{d.place.name}第二志愿队", kind=OrgKind.VOLUNTEER_ORG, place=d.place)
        d.team2_staff = person(d.team2, Role.VOLUNTEER_ORG_STAFF)
        d.volunteer = person(d.team, Role.VOLUNTEER)
        d.unit2_staff = person(d.unit2, Role.UNIT_STAFF)
    return world


def place_order(actor, place=None, **kwargs):
    today = timezone.localdate()
    fields = dict(
        title="预防跌倒讲座",
        kind=ServiceKind.HEALTH_TALK,
        topic=Topic.HEALTH,
        population="elderly",
        place=place or actor.user.home_place,
        preferred_from=today + timedelta(days=2),
        preferred_to=today + timedelta(days=20),
        expected_audience=30,
        address="活动室",
    )
    fields.update(kwargs)
    return services.order_place(actor=actor, **fields)


def schedule(order, d, *, started_ago=timedelta(days=2)):
    """Schedule ``order`` as its team did ``started_ago`` (plus an hour), for a service that has begun by now:
    a delivery is recorded only once the service has started."""
    booked_at = clock.now() - started_ago - timedelta(hours=1)
    with clock.frozen_at(booked_at):
        return services.order_transition(
            actor=d.team_staff,
            order=order,
            action="schedule",
            scheduled_for=booked_at + timedelta(hours=1),
            scheduled_place="活动室",
            scheduled_people="张三等2人",
        )


def advance(order, d, until: str):
    """Move an order of district ``d`` along the main line up to (and including) ``until``."""
    T = services.order_transition
    steps = ["dispatch", "claim", "pass_on", "accept", "schedule", "deliver", "rate", "close"]
    for step in steps[: steps.index(until) + 1]:
        if step == "dispatch":
            order = T(actor=d.community_staff, order=order, action="dispatch", unit_id=d.unit.pk)
        elif step == "claim":
            order = T(actor=d.unit_staff, order=order, action="claim")
        elif step == "pass_on":
            order = T(actor=d.unit_staff, order=order, action="pass_on", provider_id=d.team.pk)
        elif step == "accept":
            order = T(actor=d.team_staff, order=order, action="accept")
        elif step == "schedule":
            order = schedule(order, d)
        elif step == "deliver":
            order = T(
                actor=d.team_staff,
                order=order,
                action="deliver",
                attendance={"elderly": 25, "youth": 3},
                volunteers=[(d.volunteer.user.pk, 2.5)],
            )
        elif step == "rate":
            order = T(actor=d.resident, order=order, action="rate", rating=5, comment="很好")
        elif step == "close":
            order = T(actor=d.community_staff, order=order, action="close")
    return order
