"""Demo data for volunteers, needs, hours, trainings and the expert library.

The demo volunteer (王秀英, 13800000001) is registered, belongs to the 大兴 team, has hours,
a training and an open need to sign up for. Experts are spread over every district; the
``city`` scale adds 100,000 of them with bulk inserts (see ``bench/volunteers``).
"""

from __future__ import annotations

from datetime import date, timedelta

from django.utils import timezone

from kepu.accounts.models import User
from kepu.core.pii import id_check_digit
from kepu.core.seeding import SeedContext, seeder
from kepu.orgs.choices import OrgKind
from kepu.orgs.models import Organization
from kepu.places.choices import PlaceLevel
from kepu.places.models import Place
from kepu.volunteers import rollup
from kepu.volunteers.models import (
    EXPERT_SUBFIELDS,
    Audience,
    EmergencyField,
    Expert,
    ExpertField,
    HoursBalance,
    HoursEntry,
    HoursSource,
    Need,
    Training,
    TrainingAttendance,
    TrainingSession,
    Volunteer,
)
from kepu.volunteers.search import index_experts
from kepu.volunteers.services import id_index, new_token

TOPICS = [
    "健康素养",
    "防灾减灾",
    "航天科普",
    "人工智能",
    "垃圾分类",
    "食品安全",
    "急救知识",
    "天文观测",
    "节能环保",
    "反诈防骗",
    "心理健康",
    "科学健身",
    "农业技术",
    "气象科普",
    "消防安全",
]
TITLES = ["教授", "副教授", "研究员", "副研究员", "主任医师", "副主任医师", "高级工程师", "工程师", "高级教师"]
AFFILIATIONS = [
    "北京大学",
    "清华大学",
    "中国科学院",
    "北京协和医院",
    "区疾控中心",
    "区气象局",
    "区应急管理局",
    "北京天文馆",
    "中国农业大学",
    "区科技馆",
    "北京理工大学",
    "区消防救援支队",
]


def demo_id(n: int) -> str:
    first17 = f"110115{1960 + n % 40}{(n % 12) + 1:02d}{(n % 28) + 1:02d}{n % 1000:03d}"
    return first17 + id_check_digit(first17)


def _subfields(field: str) -> list[str]:
    from django.utils import translation

    with translation.override("zh-hans"):
        return [str(s) for s in EXPERT_SUBFIELDS[field]]


def expert_batch(ctx: SeedContext, districts: list[Place], count: int, start: int = 0) -> list[Expert]:
    rng = ctx.rng
    fields = list(ExpertField.values)
    surnames = "王李张刘陈杨赵黄周吴徐孙胡朱高林何郭马罗梁宋郑谢韩唐冯于董萧程曹袁邓许傅沈曾彭吕"
    given = "伟芳娜敏静丽强磊军洋勇艳杰娟涛明超霞平刚建华文玉志国红梅海燕春淑珍晓东"
    subfields = {f: _subfields(f) for f in fields}
    experts = []
    for i in range(start, start + count):
        field = rng.choice(fields)
        emergency = rng.random() < 0.08
        e = Expert(
            name=rng.choice(surnames) + rng.choice(given) + (rng.choice(given) if i % 2 else ""),
            field=field,
            subfield=rng.choice(subfields[field]),
            title=rng.choice(TITLES),
            affiliation=rng.choice(AFFILIATIONS),
            district=rng.choice(districts),
            topics=rng.sample(TOPICS, 2),
            audiences=rng.sample(list(Audience.values), 2),
            available=rng.random() < 0.7,
            term_start=date(2025, 1, 1),
            term_end=date(2027, 12, 31),
            is_emergency=emergency,
            emergency_fields=rng.sample(list(EmergencyField.values), 1) if emergency else [],
        )
        e.refresh_search()
        experts.append(e)
    return experts


@seeder(order=60)
def seed_volunteers(ctx: SeedContext) -> None:
    if Volunteer.objects.exists():
        ctx.out("    volunteers exist; skipped")
        return
    team = Organization.objects.filter(kind=OrgKind.VOLUNTEER_ORG, place__code="110115").order_by("pk").first()
    demo = User.objects.filter(username="r-demo-1").first()
    staff = User.objects.filter(username="dx.team").first()
    districts = list(Place.objects.filter(level=PlaceLevel.DISTRICT).order_by("code"))
    if team is None or demo is None or not districts:
        return
    street = demo.home_place.parent if demo.home_place else None
    volunteer = Volunteer.objects.create(
        user=demo,
        real_name=demo.name,
        id_number=demo_id(1),
        id_index=id_index(demo_id(1)),
        phone=demo.phone,
        street=street,
        skills=["讲解", "急救"],
        topics=["健康素养", "防灾减灾"],
        languages=["普通话"],
        availability=["weekend"],
        education="bachelor",
        title="退休教师",
        qr_token=new_token(),
    )
    today = timezone.localdate()
    minutes = 0
    for i, (days, m, note) in enumerate(
        ((40, 180, "全国科技活动周讲解"), (25, 120, "防灾减灾日宣传"), (10, 240, "社区健康讲座"))
    ):
        HoursEntry.objects.create(
            volunteer=volunteer,
            organization=team,
            minutes=m,
            source=HoursSource.NEED,
            key=f"seed:{i}:{volunteer.pk}",
            served_on=today - timedelta(days=days),
            note=note,
        )
        rollup.add(
            organization_id=team.pk,
            place_path=team.place.path,
            district_code=team.place.district_code,
            served_on=today - timedelta(days=days),
            minutes=m,
        )
        minutes += m
    HoursBalance.objects.create(volunteer=volunteer, organization=team, minutes=minutes, entries=3)
    training = Training.objects.create(
        organization=team, title="科普讲解员基础培训", hours=8, description="讲解技巧、应急处置与服务礼仪。"
    )
    session = TrainingSession.objects.create(
        training=training, starts_at=timezone.now() - timedelta(days=60), location="大兴区科技馆"
    )
    TrainingAttendance.objects.create(session=session, volunteer=volunteer, certificate_no="PX2026DEMO0001")
    start = (timezone.now() + timedelta(days=3)).replace(hour=9, minute=0, second=0, microsecond=0)
    Need.objects.create(
        organization=team,
        title="全国科普日 社区讲解志愿者",
        kind="activity",
        place=team.place,
        address="大兴区科技馆一层",
        starts_at=start,
        ends_at=start + timedelta(hours=3),
        slots=6,
        standby_slots=2,
        skills=["讲解"],
        leader=staff,
    )
    count = 100_000 if ctx.is_city else 48
    batch = 5000
    for offset in range(0, count, batch):
        created = Expert.objects.bulk_create(
            expert_batch(ctx, districts, min(batch, count - offset), offset), batch_size=batch
        )
        index_experts(created, fresh=True)
    ctx.out(f"    1 volunteer with hours, 1 need, 1 training, {count:,} experts")
