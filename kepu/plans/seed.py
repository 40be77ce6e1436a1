"""Demo plans: Miyun's 2024 key points and Xicheng's 2020 work plan, imported as an office would.

The documents are the importer's test fixtures. Unit names the importer could not resolve
are given their best candidate when it is a close one, and left out otherwise, which is what
the office's correction step would do.
"""

from pathlib import Path

from django.contrib.auth.hashers import make_password

from kepu.accounts.models import Membership, User
from kepu.accounts.seed import DEMO_PASSWORD
from kepu.accounts.services import phone_index
from kepu.core.actor import Actor
from kepu.core.roles import Role
from kepu.core.seeding import SeedContext, seeder
from kepu.orgs.choices import OrgKind
from kepu.orgs.models import Organization
from kepu.plans import services
from kepu.plans.models import Plan

DATA = Path(__file__).resolve().parent / "tests" / "importer" / "data"
DEMO_PLANS = (
    ("110118", "miyun_2024_key_points.txt", "my.office", "高秀梅", "13900000021"),
    ("110102", "xicheng_2020_work_plan.txt", "xc.office", "王晓燕", "13900000003"),
)


def _office_actor(ctx: SeedContext, district: str, username: str, name: str, phone: str) -> Actor | None:
    office = Organization.objects.filter(kind=OrgKind.DISTRICT_OFFICE, place__code=district).first()
    if office is None:
        return None
    user = User.objects.filter(username=username).first()
    if user is None:
        user = User(username=username, name=name, phone=phone, phone_index=phone_index(phone))
        user.password = make_password(DEMO_PASSWORD)
        user.save()
        ctx.logins.append((str(Role.DISTRICT_ADMIN.label), username, DEMO_PASSWORD))
    membership, _ = Membership.objects.get_or_create(user=user, organization=office, role=Role.DISTRICT_ADMIN)
    return Actor(user=user, membership=membership)


@seeder(order=60)
def seed_plans(ctx: SeedContext) -> None:
    if Plan.objects.exists():
        ctx.out("    plans exist; skipped")
        return
    for district, filename, username, name, phone in DEMO_PLANS:
        actor = _office_actor(ctx, district, username, name, phone)
        path = DATA / filename
        if actor is None or not path.exists():
            continue
        draft = services.draft_create(actor=actor, data=path.read_bytes(), filename=filename)
        for key, index, _name in services.unresolved_units(draft):
            row = draft.matches[key][index]
            best = row["candidates"][0] if row["candidates"] else None
            choice = str(best["organization_id"]) if best and best["score"] >= 0.75 else services.SKIP
            draft = services.draft_choose_unit(actor=actor, draft=draft, task_key=key, index=index, choice=choice)
        data = draft.data
        plan = services.plan_publish(actor=actor, draft=draft, title=data["title"], year=data.get("year") or 2026)
        ctx.out(f"    {plan.title}: {plan.nodes.filter(kind='task').count()} tasks")
    # A unit login for the Xicheng plan, to report progress in the demo.
    xc_tech = Organization.objects.filter(kind=OrgKind.MEMBER_UNIT, place__code="110102", short_name="区科信局").first()
    if xc_tech and not User.objects.filter(username="xc.tech").exists():
        user = User(username="xc.tech", name="赵文静", phone="13900000022", phone_index=phone_index("13900000022"))
        user.password = make_password(DEMO_PASSWORD)
        user.save()
        Membership.objects.create(user=user, organization=xc_tech, role=Role.UNIT_STAFF, title="科普科")
        ctx.logins.append((str(Role.UNIT_STAFF.label), "xc.tech", DEMO_PASSWORD))


@seeder(order=65)
def seed_current_plan(ctx: SeedContext) -> None:
    """This year's plan of 大兴, built by hand, with targets that count the demo's own activities and orders."""
    from datetime import date

    from django.utils import timezone

    from kepu.plans.models import NodeKind

    office_m = Membership.objects.filter(user__username="dx.office", role=Role.DISTRICT_ADMIN).first()
    unit_m = Membership.objects.filter(user__username="dx.health", role=Role.UNIT_STAFF).first()
    year = timezone.localdate().year
    if office_m is None or Plan.objects.filter(owner=office_m.organization, year=year).exists():
        return
    office = Actor(user=office_m.user, membership=office_m)
    district = office_m.organization.place.code
    plan = services.plan_create(actor=office, title=f"{year}年大兴区科普工作要点", year=year)
    one = services.node_add(actor=office, plan=plan, kind=NodeKind.SECTION, marker="一、", title="办好品牌科普活动")
    held = services.node_add(
        actor=office,
        plan=plan,
        kind=NodeKind.TASK,
        parent=one,
        marker="（一）",
        title="办好全国科普日系列活动",
        lead_unit_id=office_m.organization_id,
    )
    target = services.target_add(actor=office, task=held, label="全国科普日科普活动", quantity=50, unit_of_measure="场")
    services.target_bind(
        actor=office,
        target=target,
        measure_key="activities.held",
        filters={"place": district, "theme": "national-science-day", "year": str(year)},
    )
    orders = services.node_add(
        actor=office,
        plan=plan,
        kind=NodeKind.TASK,
        parent=one,
        marker="（二）",
        title="推行科普服务“订单认领”",
        lead_unit_id=office_m.organization_id,
    )
    target = services.target_add(actor=office, task=orders, label="完成群众点单", quantity=100, unit_of_measure="单")
    services.target_bind(
        actor=office, target=target, measure_key="orders.completed", filters={"place": district, "year": str(year)}
    )
    two = services.node_add(actor=office, plan=plan, kind=NodeKind.SECTION, marker="二、", title="提升重点人群科学素质")
    health = services.node_add(
        actor=office,
        plan=plan,
        kind=NodeKind.TASK,
        parent=two,
        marker="（一）",
        title="开展老年人健康科普进社区",
        lead_unit_id=unit_m.organization_id if unit_m else None,
        deadline=date(year, 12, 31),
    )
    lectures = services.target_add(
        actor=office, task=health, label="健康科普讲座", quantity=40, unit_of_measure="场", comparator="≥"
    )
    if unit_m is not None:
        unit = Actor(user=unit_m.user, membership=unit_m)
        services.report_create(
            actor=unit,
            task=health,
            text="已在各街道开展健康科普讲座28场，覆盖老年人约1500人次。",
            target=lectures,
            value=28,
        )
    ctx.out(f"    {plan.title}: 3 tasks, 2 live targets")
