"""Orders for the demo: the service menu, the unit in charge of each topic, and orders at every step.

At ``city`` scale, ``bulk_orders`` adds a million orders with bulk inserts (for the bench).
"""

from __future__ import annotations

from datetime import timedelta

from django.utils import timezone

from kepu.core import clock
from kepu.core.seeding import SeedContext, seeder
from kepu.orders.models import Order, OrderStatus, ServiceItem, ServiceKind, Topic, TopicUnit
from kepu.orgs.choices import OrgKind
from kepu.orgs.models import Organization

MENU = (
    ("预防老年人跌倒健康讲座", ServiceKind.HEALTH_TALK, Topic.HEALTH, ["elderly"]),
    ("智能手机使用培训", ServiceKind.COURSE, Topic.ELDERLY_DIGITAL, ["elderly"]),
    ("防范电信网络诈骗讲座", ServiceKind.LECTURE, Topic.ANTI_FRAUD, ["elderly", "workers"]),
    ("家庭应急救护体验", ServiceKind.HANDS_ON, Topic.SAFETY, ["youth", "workers", "elderly"]),
    ("设施农业种植技术咨询", ServiceKind.CONSULTATION, Topic.FARMING, ["farmers"]),
    ("垃圾分类科普展", ServiceKind.EXHIBITION, Topic.ENVIRONMENT, ["youth", "elderly"]),
    ("星空观测科普夜", ServiceKind.HANDS_ON, Topic.ASTRONOMY, ["youth"]),
    ("人工智能科普电影放映", ServiceKind.SCREENING, Topic.AI, ["youth", "officials"]),
)


def _unit_for(units: list[Organization], topic: str) -> Organization | None:
    for unit in units:
        if topic in (unit.topics or []):
            return unit
    return None


@seeder(order=60)
def seed_orders(ctx: SeedContext) -> None:
    if ServiceItem.objects.exists():
        ctx.out("    orders exist; skipped")
        return
    districts = {
        o.place_id: o.place for o in Organization.objects.filter(kind=OrgKind.MEMBER_UNIT).select_related("place")
    }
    items, routes = [], []
    for district_id, district in sorted(districts.items()):
        units = list(Organization.objects.filter(kind=OrgKind.MEMBER_UNIT, place_id=district_id).order_by("pk"))
        teams = list(Organization.objects.filter(kind=OrgKind.VOLUNTEER_ORG, place_id=district_id).order_by("pk"))
        for topic in Topic.values:
            unit = _unit_for(units, topic)
            if unit is not None:
                routes.append(TopicUnit(district=district, topic=topic, unit=unit))
        for title, kind, topic, pops in MENU:
            provider = _unit_for(units, topic) or (teams[0] if teams else units[0])
            items.append(
                ServiceItem(
                    title=title,
                    kind=kind,
                    topic=topic,
                    populations=pops,
                    provider=provider,
                    district=district,
                    description="",
                )
            )
    ServiceItem.objects.bulk_create(items)
    TopicUnit.objects.bulk_create(routes)
    ctx.out(f"    {len(items)} menu items, {len(routes)} topic routes")
    if ctx.is_city:
        bulk_orders(ctx, 1_000_000)
    else:
        _demo_orders(ctx)


def _demo_orders(ctx: SeedContext) -> None:
    """A few orders placed and moved through the workflow by the demo people, through the services."""
    from kepu.accounts.models import Membership, User
    from kepu.core.actor import Actor
    from kepu.orders import services

    def actor(username):
        user = User.objects.filter(username=username).first()
        if user is None:
            return None
        m = Membership.objects.filter(user=user, is_active=True).order_by("pk").first()
        return Actor(user=user, membership=m)

    resident = actor("r-demo-2")
    community, unit, team = actor("dx.community"), actor("dx.health"), actor("dx.team")
    if not all((resident, community, unit, team)) or resident.user.home_place is None:
        return
    today = timezone.localdate()
    steps = ("submitted", "dispatch", "claim", "pass_on", "accept", "schedule", "deliver", "rate")
    for i in range(len(steps)):
        o = services.order_place(
            actor=resident,
            title=MENU[i % len(MENU)][0],
            kind=MENU[i % len(MENU)][1],
            topic=Topic.HEALTH,
            population="elderly",
            place=resident.user.home_place,
            preferred_from=today + timedelta(days=3),
            preferred_to=today + timedelta(days=30),
            expected_audience=30,
            address="社区活动中心",
        )
        for step in steps[1 : i + 1]:
            if step == "dispatch":
                services.order_transition(actor=community, order=o, action="dispatch", unit_id=unit.organization.pk)
            elif step == "pass_on":
                services.order_transition(actor=unit, order=o, action="pass_on", provider_id=team.organization.pk)
            elif step == "schedule":
                # An order that goes on to delivery was booked days ago for a session that has taken place
                # (a delivery is recorded only after the service begins); one that stops here is ahead.
                delivered_later = "deliver" in steps[1 : i + 1]
                booked = timezone.now() - timedelta(days=3) if delivered_later else timezone.now()
                with clock.frozen_at(booked):
                    services.order_transition(
                        actor=team,
                        order=o,
                        action="schedule",
                        scheduled_for=booked + (timedelta(days=1) if delivered_later else timedelta(days=5)),
                        scheduled_place="社区活动中心",
                        scheduled_people="赵宇航等3人",
                    )
            elif step == "deliver":
                services.order_transition(actor=team, order=o, action="deliver", attendance={"elderly": 28})
            elif step == "rate":
                services.order_transition(actor=resident, order=o, action="rate", rating=5, comment="讲得很好")
            else:
                services.order_transition(actor=unit if step == "claim" else team, order=o, action=step)
    ctx.out(f"    {Order.objects.count()} demo orders")


def bulk_orders(ctx: SeedContext, count: int, batch: int = 10000) -> None:
    """``count`` orders spread over communities, states and the past year, with bulk inserts (bench data)."""
    from kepu.accounts.models import Membership

    rng = ctx.rng
    communities = list(
        Organization.objects.filter(kind=OrgKind.COMMUNITY)
        .select_related("place__parent")
        .values_list("place_id", "place__path", "place__parent_id", "place__parent__parent_id")
    )
    units = {}
    for pk, place_id in Organization.objects.filter(kind=OrgKind.MEMBER_UNIT).values_list("pk", "place_id"):
        units.setdefault(place_id, []).append(pk)
    teams = {}
    for pk, place_id in Organization.objects.filter(kind=OrgKind.VOLUNTEER_ORG).values_list("pk", "place_id"):
        teams.setdefault(place_id, []).append(pk)
    residents = list(Membership.objects.filter(role="resident").values_list("user_id", flat=True)[:200000])
    if not communities or not residents:
        return
    now = timezone.now()
    statuses = (
        [OrderStatus.SUBMITTED] * 3
        + [OrderStatus.DISPATCHED] * 3
        + [OrderStatus.CLAIMED] * 4
        + [OrderStatus.ACCEPTED] * 3
        + [OrderStatus.SCHEDULED] * 3
        + [OrderStatus.DELIVERED] * 5
        + [OrderStatus.RATED] * 8
        + [OrderStatus.CLOSED] * 60
        + [OrderStatus.CANCELLED] * 6
        + [OrderStatus.REJECTED] * 5
    )
    kinds, topics = ServiceKind.values, Topic.values
    pops = ["youth", "farmers", "workers", "elderly", "officials"]
    # Bench data spreads orders over the past year, so creation times are set explicitly.
    created_field = Order._meta.get_field("created_at")
    created_field.auto_now_add = False
    start_pk = (Order.objects.order_by("-pk").values_list("pk", flat=True).first() or 0) + 1
    made = 0
    while made < count:
        n = min(batch, count - made)
        rows = []
        for k in range(n):
            i = start_pk + made + k
            place_id, path, street_id, district_id = communities[rng.randrange(len(communities))]
            status = statuses[rng.randrange(len(statuses))]
            created = now - timedelta(minutes=rng.randrange(365 * 24 * 60))
            routed = status not in (OrderStatus.SUBMITTED, OrderStatus.REJECTED)
            claimed = status not in (OrderStatus.SUBMITTED, OrderStatus.REJECTED, OrderStatus.DISPATCHED)
            has_provider = status in (
                OrderStatus.ACCEPTED,
                OrderStatus.SCHEDULED,
                OrderStatus.DELIVERED,
                OrderStatus.RATED,
                OrderStatus.CLOSED,
            )
            done = status in (OrderStatus.DELIVERED, OrderStatus.RATED, OrderStatus.CLOSED)
            rated = status in (OrderStatus.RATED, OrderStatus.CLOSED) and rng.random() < 0.8
            unit_list, team_list = units.get(district_id) or [None], teams.get(district_id) or [None]
            rows.append(
                Order(
                    number=f"B{i:09d}",
                    status=status,
                    kind=rng.choice(kinds),
                    topic=rng.choice(topics),
                    title="科普服务",
                    population=rng.choice(pops),
                    expected_audience=rng.randrange(10, 200),
                    district_id=district_id,
                    street_id=street_id,
                    community_id=place_id,
                    place_path=path,
                    preferred_from=created.date(),
                    preferred_to=created.date() + timedelta(days=30),
                    resident_id=residents[i % len(residents)],
                    placed_by_id=residents[i % len(residents)],
                    contact_name="居民",
                    contact_phone="",
                    unit_id=rng.choice(unit_list) if routed else None,
                    provider_id=rng.choice(team_list) if has_provider else None,
                    dispatched_at=created + timedelta(hours=5) if routed else None,
                    claim_due_at=created + timedelta(days=3) if routed else None,
                    claimed_at=created + timedelta(days=rng.choice((1, 1, 1, 2, 4))) if claimed else None,
                    claimed_on_time=(rng.random() < 0.85) if claimed else None,
                    delivered_at=created + timedelta(days=12) if done else None,
                    attendance={rng.choice(pops): rng.randrange(5, 120)} if done else {},
                    rating=rng.choice((5, 5, 5, 4, 4, 3, 2)) if rated else None,
                    due_at=created + timedelta(days=3)
                    if status in ("submitted", "dispatched", "claimed", "accepted", "scheduled")
                    else None,
                    overdue=status in ("dispatched", "claimed") and rng.random() < 0.1,
                    created_at=created,
                    updated_at=created,
                )
            )
        Order.objects.bulk_create(rows, batch_size=n)
        made += n
        if made % 100_000 == 0:
            ctx.out(f"    {made:,} orders")
    created_field.auto_now_add = True
    # Bulk inserts bypass the services, so the three rates' roll-up is recomputed once at the end.
    from kepu.orders import rollup

    ctx.out(f"    roll-up: {rollup.rebuild():,} rows")
