"""Demo activities: the theme calendar, a venue with visit slots, activities around theme days."""

from datetime import date, datetime, time, timedelta

from django.utils import timezone

from kepu.activities.models import Activity, ActivityKind, ActivityStatus, Session, Theme, Venue
from kepu.activities.services import ensure_themes, sync_sessions, venue_slots
from kepu.activities.themes import THEMES
from kepu.core.populations import Population
from kepu.core.seeding import SeedContext, seeder
from kepu.orgs.choices import OrgKind
from kepu.orgs.models import Organization

TITLES = [
    ("家庭急救知识讲座", ActivityKind.LECTURE, "health", Population.ELDERLY),
    ("防范电信诈骗宣传", ActivityKind.LECTURE, "anti_fraud", Population.ELDERLY),
    ("青少年航天模型制作", ActivityKind.HANDS_ON, "astronomy", Population.YOUTH),
    ("智慧农业技术培训", ActivityKind.COURSE, "farming", Population.FARMERS),
    ("安全生产知识竞赛", ActivityKind.COMPETITION, "safety", Population.WORKERS),
    ("人工智能科普展", ActivityKind.EXHIBITION, "ai", Population.OFFICIALS),
    ("实验室开放日", ActivityKind.OPEN_DAY, "culture", Population.YOUTH),
    ("节水护水进社区", ActivityKind.LECTURE, "environment", Population.OTHER),
]


@seeder(order=60)
def seed_activities(ctx: SeedContext) -> None:
    ensure_themes(THEMES)
    if Activity.objects.exists():
        ctx.out("    activities exist; skipped")
        return
    themes = list(Theme.objects.order_by("month", "day"))
    organizers = list(
        Organization.objects.filter(
            kind__in=[OrgKind.MEMBER_UNIT, OrgKind.COMMUNITY, OrgKind.SCIENCE_BASE, OrgKind.STREET_OFFICE]
        )
        .select_related("place")
        .order_by("pk")[:60]
    )
    tz = timezone.get_current_timezone()
    today = timezone.localdate()
    activities, sessions = [], []
    for i in range(40 if not ctx.is_city else 400):
        org = organizers[i % len(organizers)]
        title, kind, topic, population = TITLES[i % len(TITLES)]
        day = today + timedelta(days=ctx.rng.randint(-60, 90))
        start = datetime.combine(day, time(9 + (i % 3) * 3, 0), tzinfo=tz)
        activities.append(
            Activity(
                organization=org,
                place=org.place,
                place_path=org.place.path,
                district_code=org.place.district_code,
                title=f"{title}（{org.display_name}）",
                summary=f"{title}，欢迎居民报名参加。",
                kind=kind,
                description=f"<p>{title}，由{org.name}主办。</p>",
                topics=f",{topic},",
                populations=f",{population},",
                theme=themes[i % len(themes)] if i % 2 == 0 else None,
                address=org.address or org.place.name,
                status=ActivityStatus.PUBLISHED,
                starts_at=start,
                ends_at=start + timedelta(hours=2),
                next_at=start if start + timedelta(hours=2) >= timezone.now() else None,
            )
        )
    Activity.objects.bulk_create(activities)
    for a in activities:
        sessions.append(
            Session(
                activity=a,
                starts_at=a.starts_at,
                ends_at=a.ends_at,
                is_first=True,
                capacity=ctx.rng.choice([20, 30, 50, 100]),
            )
        )
    Session.objects.bulk_create(sessions)
    for a in activities:
        sync_sessions(a)
    base = Organization.objects.filter(kind=OrgKind.SCIENCE_BASE).select_related("place").order_by("pk").first()
    if base is not None:
        venue = Venue.objects.create(
            organization=base,
            place=base.place,
            name=f"{base.name}展厅",
            address=base.address or base.place.name,
            slot_minutes=90,
            slot_capacity=40,
            opening_hours={str(d): [["09:00", "12:00"], ["13:30", "16:30"]] for d in range(1, 7)},
        )
        visit = Activity.objects.create(
            organization=base,
            place=base.place,
            venue=venue,
            kind=ActivityKind.VISIT,
            title=f"预约参观{venue.name}",
            summary="分时段预约，免费参观。",
            status=ActivityStatus.PUBLISHED,
            populations=",youth,",
        )
        slots = [s for k in range(14) for s in venue_slots(venue, date.fromordinal(today.toordinal() + k))]
        Session.objects.bulk_create(
            [
                Session(activity=visit, starts_at=s, ends_at=e, capacity=venue.slot_capacity, is_first=i == 0)
                for i, (s, e) in enumerate(slots)
            ]
        )
        if slots:
            Activity.objects.filter(pk=visit.pk).update(
                starts_at=slots[0][0], ends_at=slots[-1][1], next_at=slots[0][0]
            )
            visit.refresh_from_db()  # the tags copy its dates
        sync_sessions(visit)
    ctx.out(f"    {len(activities)} activities")
