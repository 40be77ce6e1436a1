"""People for the demo: one login per role, and residents in bulk (a million at city scale)."""

from django.contrib.auth.hashers import make_password

from kepu.accounts.models import Membership, User
from kepu.accounts.services import phone_index
from kepu.core.roles import Role
from kepu.core.seeding import SeedContext, seeder
from kepu.orgs.choices import OrgKind
from kepu.orgs.models import Organization

DEMO_PASSWORD = "kepu-demo-2026"
DAXING, XICHENG = "110115", "110102"


def _staff(ctx, username, name, org, role, phone, *, title="", extra=()):
    user = User(username=username, name=name, phone=phone, phone_index=phone_index(phone))
    user.password = ctx.shared["password_hash"]
    user.save()
    Membership.objects.create(user=user, organization=org, role=role, title=title)
    for other_org, other_role in extra:
        Membership.objects.create(user=user, organization=other_org, role=other_role)
    ctx.logins.append((str(Role(role).label), username, DEMO_PASSWORD))
    return user


@seeder(order=30)
def seed_people(ctx: SeedContext) -> None:
    if User.objects.filter(username="city.admin").exists():
        ctx.out("    people exist; skipped")
        return
    ctx.shared["password_hash"] = make_password(DEMO_PASSWORD)
    city = Organization.objects.get(kind=OrgKind.CITY_OFFICE)
    dx_office = Organization.objects.get(kind=OrgKind.DISTRICT_OFFICE, place__code=DAXING)
    xc_office = Organization.objects.get(kind=OrgKind.DISTRICT_OFFICE, place__code=XICHENG)
    dx_street = (
        Organization.objects.filter(kind=OrgKind.STREET_OFFICE, place__district_code=DAXING)
        .order_by("place__code")
        .first()
    )
    dx_community = (
        Organization.objects.filter(kind=OrgKind.COMMUNITY, place__parent=dx_street.place)
        .order_by("place__code")
        .first()
    )
    dx_health = Organization.objects.get(kind=OrgKind.MEMBER_UNIT, place__code=DAXING, short_name="区卫健委")
    dx_team = Organization.objects.filter(kind=OrgKind.VOLUNTEER_ORG, place__code=DAXING).order_by("pk").first()
    dx_base = Organization.objects.filter(kind=OrgKind.SCIENCE_BASE, place__code=DAXING).order_by("pk").first()
    dx_school = Organization.objects.filter(kind=OrgKind.SCHOOL, place__district_code=DAXING).order_by("pk").first()

    admin = _staff(ctx, "city.admin", "周明远", city, Role.CITY_ADMIN, "13900000001", title="科普部部长")
    User.objects.filter(pk=admin.pk).update(is_staff=True, is_superuser=True)
    _staff(ctx, "dx.office", "李建华", dx_office, Role.DISTRICT_ADMIN, "13900000002", title="科普部")
    _staff(ctx, "xc.office", "王晓燕", xc_office, Role.DISTRICT_ADMIN, "13900000003", title="科普部")
    _staff(ctx, "dx.street", "张志强", dx_street, Role.STREET_STAFF, "13900000004", title="社区建设办")
    _staff(ctx, "dx.community", "刘桂兰", dx_community, Role.COMMUNITY_STAFF, "13900000005", title="社区主任")
    _staff(ctx, "dx.health", "陈思远", dx_health, Role.UNIT_STAFF, "13900000006", title="健康促进科")
    _staff(ctx, "dx.team", "赵宇航", dx_team, Role.VOLUNTEER_ORG_STAFF, "13900000007", title="队长")
    _staff(ctx, "dx.base", "孙丽娟", dx_base, Role.BASE_STAFF, "13900000008", title="科普教育部")
    _staff(ctx, "dx.school", "马国庆", dx_school, Role.ORG_STAFF, "13900000009", title="科技教师")
    _staff(ctx, "dx.expert", "黄文博", dx_office, Role.EXPERT, "13900000010", title="主任医师")

    # Residents sign in with phone and code; the first also volunteers (two roles to switch between).
    volunteer = User(
        username="r-demo-1",
        name="王秀英",
        phone="13800000001",
        phone_index=phone_index("13800000001"),
        home_place=dx_community.place,
    )
    volunteer.set_unusable_password()
    volunteer.save()
    Membership.objects.create(user=volunteer, organization=dx_community, role=Role.RESIDENT)
    Membership.objects.create(user=volunteer, organization=dx_team, role=Role.VOLUNTEER)
    ctx.logins.append((f"{Role.RESIDENT.label} + {Role.VOLUNTEER.label}", "13800000001", "SMS code"))
    resident = User(
        username="r-demo-2",
        name="李大爷",
        phone="13800000002",
        phone_index=phone_index("13800000002"),
        home_place=dx_community.place,
        elder_mode=True,
    )
    resident.set_unusable_password()
    resident.save()
    Membership.objects.create(user=resident, organization=dx_community, role=Role.RESIDENT)
    ctx.logins.append((str(Role.RESIDENT.label), "13800000002", "SMS code"))
    bulk_residents(ctx, 1_000_000 if ctx.is_city else 300)


def bulk_residents(ctx: SeedContext, count: int, batch: int = 5000) -> None:
    """Residents spread over the communities that have a committee, with bulk inserts."""
    committees = list(Organization.objects.filter(kind=OrgKind.COMMUNITY).values_list("pk", "place_id").order_by("pk"))
    if not committees:
        return
    surnames = "王李张刘陈杨赵黄周吴徐孙胡朱高林何郭马罗梁宋郑谢韩唐冯于董萧程曹袁邓许傅沈曾彭吕"
    given = "伟芳娜秀英敏静丽强磊军洋勇艳杰娟涛明超秀兰霞平刚桂英建华文玉兰志国红梅海燕春梅淑珍"
    start = User.objects.count()
    made = 0
    while made < count:
        n = min(batch, count - made)
        users = []
        for i in range(start + made, start + made + n):
            phone = f"15{i:09d}"
            name = ctx.rng.choice(surnames) + ctx.rng.choice(given) + (ctx.rng.choice(given) if i % 3 else "")
            org_id, place_id = committees[i % len(committees)]
            users.append(
                User(
                    username=f"r{i:08d}",
                    name=name,
                    password="!",
                    phone=phone,
                    phone_index=phone_index(phone),
                    home_place_id=place_id,
                )
            )
        created = User.objects.bulk_create(users, batch_size=n)
        Membership.objects.bulk_create(
            [
                Membership(
                    user_id=u.pk,
                    organization_id=committees[(start + made + k) % len(committees)][0],
                    role=Role.RESIDENT,
                )
                for k, u in enumerate(created)
            ],
            batch_size=n,
        )
        made += n
        if ctx.is_city and made % 100_000 == 0:
            ctx.out(f"    {made:,} residents")
