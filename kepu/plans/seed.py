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
from kepu.orgs.models import Organization, OrgKind
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
