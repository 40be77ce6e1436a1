"""Places for the demo: the shipped Beijing tree plus generated communities."""

from pathlib import Path

from kepu.core.seeding import SeedContext, seeder
from kepu.places.models import Place, PlaceLevel
from kepu.places.services import import_csv

DEMO_DISTRICTS = ("110102", "110108", "110115", "110118")  # 西城 海淀 大兴 密云
COMMUNITY_SUFFIXES = ("社区", "社区", "社区", "村")
COMMUNITY_STEMS = (
    "兴华",
    "清源",
    "枣园",
    "康庄",
    "绿地",
    "金星",
    "和义",
    "永华",
    "林校",
    "三合",
    "观音寺",
    "高米店",
    "车站",
    "滨河",
    "月季",
    "宏大",
    "丽园",
    "双河",
    "新源",
    "富强",
    "育新",
    "学院",
    "花园",
    "长安",
    "银河",
    "东湖",
    "南苑",
    "西红门",
)


@seeder(order=10)
def seed_places(ctx: SeedContext) -> None:
    import_csv((Path(__file__).parent / "data" / "beijing.csv").read_text(encoding="utf-8"), system=True)
    streets = Place.objects.filter(level=PlaceLevel.STREET)
    if not ctx.is_city:
        streets = streets.filter(district_code__in=DEMO_DISTRICTS)
    per_street = 20 if ctx.is_city else 4
    new = []
    for street in streets.order_by("code"):
        for i in range(1, per_street + 1):
            code = f"{street.code}{i:03d}"
            stem = COMMUNITY_STEMS[(int(street.code[-3:]) * 7 + i) % len(COMMUNITY_STEMS)]
            suffix = COMMUNITY_SUFFIXES[i % len(COMMUNITY_SUFFIXES)] if street.name.endswith("镇") else "社区"
            new.append(
                Place(
                    code=code,
                    official=False,
                    name=f"{stem}{'' if i <= len(COMMUNITY_STEMS) else i}{suffix}"
                    if i > 1
                    else f"{street.name.removesuffix('街道').removesuffix('镇').removesuffix('地区')}{suffix}",
                    level=PlaceLevel.COMMUNITY,
                    parent=street,
                    path=f"{street.path}{code}/",
                    district_code=street.district_code,
                )
            )
    existing = set(Place.objects.filter(code__in=[p.code for p in new]).values_list("code", flat=True))
    Place.objects.bulk_create([p for p in new if p.code not in existing], batch_size=2000)
    ctx.out(f"    {Place.objects.count()} places")
