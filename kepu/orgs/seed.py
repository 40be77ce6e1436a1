"""Organizations for the demo: offices, member units, committees, teams, bases, schools."""

from kepu.core.seeding import SeedContext, seeder
from kepu.orgs.models import Organization, OrgKind
from kepu.places.choices import PlaceLevel
from kepu.places.models import Place
from kepu.places.seed import DEMO_DISTRICTS

#: (short name, full name pattern, aliases, fields it is in charge of)
MEMBER_UNITS = (
    ("区委宣传部", "中共北京市{d}委员会宣传部", ["宣传部"], ["culture"]),
    ("区科信局", "北京市{d}科学技术和信息化局", ["区科委", "区科学技术委员会", "区科技局"], ["ai", "astronomy"]),
    ("区教委", "北京市{d}教育委员会", ["区教育委员会"], ["youth"]),
    ("区卫健委", "北京市{d}卫生健康委员会", ["区卫生健康委", "区卫生健康委员会"], ["health"]),
    ("区文旅局", "北京市{d}文化和旅游局", ["区文化和旅游局"], ["culture"]),
    ("区农业农村局", "北京市{d}农业农村局", ["区农委"], ["farming"]),
    ("区应急局", "北京市{d}应急管理局", ["区应急管理局"], ["safety"]),
    ("区生态环境局", "北京市{d}生态环境局", [], ["environment"]),
    ("区融媒体中心", "北京市{d}融媒体中心", [], ["media"]),
    ("团区委", "共青团北京市{d}委员会", [], ["youth"]),
    ("区妇联", "北京市{d}妇女联合会", ["区妇女联合会"], ["family"]),
    ("区总工会", "北京市{d}总工会", [], ["workers"]),
    ("区人力社保局", "北京市{d}人力资源和社会保障局", ["区人力资源和社会保障局"], ["workers"]),
    ("区财政局", "北京市{d}财政局", [], []),
    ("区公安分局", "北京市公安局{d}分局", [], ["anti_fraud"]),
)


def _street_office_name(street: Place) -> str:
    if street.name.endswith("街道"):
        return f"{street.name}办事处"
    if street.name.endswith("地区"):
        return f"{street.name}办事处"
    return f"{street.name}人民政府"


def _committee_name(community: Place) -> str:
    return f"{community.name}村民委员会" if community.name.endswith("村") else f"{community.name}居民委员会"


@seeder(order=20)
def seed_orgs(ctx: SeedContext) -> None:
    if Organization.objects.exists():
        ctx.out("    organizations exist; skipped")
        return
    city = Place.objects.get(level=PlaceLevel.CITY)
    city_office = Organization.objects.create(
        name="北京市科学技术协会", short_name="市科协", kind=OrgKind.CITY_OFFICE, place=city
    )
    orgs: list[Organization] = []
    districts = list(Place.objects.filter(level=PlaceLevel.DISTRICT).order_by("code"))
    seeded = districts if ctx.is_city else [d for d in districts if d.code in DEMO_DISTRICTS]
    for d in districts:
        orgs.append(
            Organization(
                name=f"{d.name}科学技术协会",
                short_name="区科协",
                kind=OrgKind.DISTRICT_OFFICE,
                place=d,
                parent=city_office,
                aliases=["区科协", "区科普工作联席会议办公室"],
            )
        )
    for d in seeded:
        for short, pattern, aliases, topics in MEMBER_UNITS:
            orgs.append(
                Organization(
                    name=pattern.format(d=d.name),
                    short_name=short,
                    kind=OrgKind.MEMBER_UNIT,
                    place=d,
                    aliases=aliases,
                    topics=topics,
                )
            )
        orgs.append(Organization(name=f"{d.name}新时代文明实践中心", kind=OrgKind.PRACTICE_CENTER, place=d))
        for i in range(1, 3 if not ctx.is_city else 6):
            orgs.append(
                Organization(
                    name=f"{d.name}科普志愿服务{'一二三四五六'[i - 1]}队",
                    short_name=f"科普志愿服务{i}队",
                    kind=OrgKind.VOLUNTEER_ORG,
                    place=d,
                    topics=["health", "safety", "elderly_digital"],
                )
            )
        for base in ("科技馆", "青少年科技活动中心", "现代农业科普园"):
            orgs.append(Organization(name=f"{d.name}{base}", kind=OrgKind.SCIENCE_BASE, place=d))
    Organization.objects.bulk_create(orgs, batch_size=2000)

    streets = Place.objects.filter(level=PlaceLevel.STREET, district_code__in=[d.code for d in seeded])
    more = []
    for s in streets.order_by("code"):
        more.append(Organization(name=_street_office_name(s), short_name=s.name, kind=OrgKind.STREET_OFFICE, place=s))
        more.append(Organization(name=f"{s.name}新时代文明实践所", kind=OrgKind.PRACTICE_STATION, place=s))
    communities = Place.objects.filter(level=PlaceLevel.COMMUNITY, district_code__in=[d.code for d in seeded])
    for c in communities.order_by("code").iterator(chunk_size=2000):
        more.append(Organization(name=_committee_name(c), short_name=c.name, kind=OrgKind.COMMUNITY, place=c))
    for d in seeded:
        first_street = streets.filter(district_code=d.code).order_by("code").first()
        more.append(Organization(name=f"北京市{d.name}实验小学", kind=OrgKind.SCHOOL, place=first_street))
        more.append(
            Organization(
                name=f"北京{d.name.removesuffix('区')}智能科技有限公司", kind=OrgKind.ENTERPRISE, place=first_street
            )
        )
    Organization.objects.bulk_create(more, batch_size=2000)
    ctx.out(f"    {Organization.objects.count()} organizations")
