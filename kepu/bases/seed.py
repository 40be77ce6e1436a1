"""Demo science bases: three in each demo district, each at another stage of certification or review.

Everything goes through the services (with the clock set back where a step needs time to have
passed, like the public notice), so the demo holds exactly what the workflow can produce.
"""

from __future__ import annotations

import io
from datetime import date, timedelta
from decimal import Decimal

from django.core.files.base import ContentFile
from django.utils import timezone

from kepu.core import clock
from kepu.core.actor import Actor
from kepu.core.roles import Role
from kepu.core.seeding import SeedContext, seeder

PASSWORD = "kepu-demo-2026"

#: (district code, host name suffix) -> (stage, profile extras)
PROFILES = {
    "科技馆": dict(
        category="venue",
        exhibition_area=3200,
        open_days_per_year=306,
        student_policy="free",
        student_days_per_year=306,
        guides=12,
        staff_full_time=18,
        staff_part_time=6,
        themes=["astronomy", "ai", "engineering"],
        populations=["youth", "elderly"],
        summary="常设展厅、球幕影院和青少年实验室，周二至周日开放。",
    ),
    "青少年科技活动中心": dict(
        category="communication",
        exhibition_area=900,
        open_days_per_year=240,
        student_policy="free_days",
        student_days_per_year=120,
        student_note="每周三、周六学生免费",
        guides=5,
        staff_full_time=9,
        staff_part_time=4,
        themes=["ai", "engineering"],
        populations=["youth"],
        summary="机器人、编程和航模活动室，面向中小学生开放。",
    ),
    "现代农业科普园": dict(
        category="research",
        exhibition_area=5200,
        open_days_per_year=220,
        student_policy="discounted",
        student_days_per_year=60,
        guides=4,
        staff_full_time=6,
        staff_part_time=10,
        themes=["farming", "environment"],
        populations=["farmers", "youth"],
        summary="智慧温室、节水灌溉示范田和农业科普长廊。",
    ),
}

#: Where each demo base stands: (district code, host suffix) -> stage.
STAGES = {
    ("110115", "科技馆"): "certified_recommended",
    ("110115", "青少年科技活动中心"): "expert_review",
    ("110115", "现代农业科普园"): "draft",
    ("110102", "科技馆"): "notice",
    ("110102", "青少年科技活动中心"): "returned",
    ("110102", "现代农业科普园"): "inspection",
    ("110108", "科技馆"): "decision",
    ("110108", "青少年科技活动中心"): "submitted",
    ("110108", "现代农业科普园"): "refused",
    ("110118", "科技馆"): "certified_reviewed",
    ("110118", "青少年科技活动中心"): "revoked",
    ("110118", "现代农业科普园"): "certified_review_open",
}

#: Rough coordinates of each demo district's centre (for the map's points).
CENTRES = {
    "110115": (116.341, 39.727),
    "110102": (116.366, 39.915),
    "110108": (116.298, 39.960),
    "110118": (116.843, 40.377),
}
HOURS = {str(d): [["09:00", "12:00"], ["13:30", "16:30"]] for d in range(1, 7)}


def _pdf(title: str) -> ContentFile:
    from reportlab.pdfgen.canvas import Canvas

    from kepu.core.pdf import cjk_font

    out = io.BytesIO()
    canvas = Canvas(out)
    canvas.setFont(cjk_font(), 14)
    canvas.drawString(72, 760, title)
    canvas.showPage()
    canvas.save()
    return ContentFile(out.getvalue(), name=f"{title}.pdf")


def _actor(user, role, organization=None):
    from kepu.accounts.selectors import active_memberships

    for m in active_memberships(user):
        if m.role == role and (organization is None or m.organization_id == organization.pk):
            return Actor(user=user, membership=m)
    return None


def _experts(ctx: SeedContext, offices: dict) -> list[Actor]:
    """Experts with accounts (they score on the platform): 黄文博 of the demo and five more."""
    from kepu.accounts.models import User
    from kepu.accounts.services import staff_create
    from kepu.volunteers.selectors import expert_of_user
    from kepu.volunteers.services import expert_create

    people = [
        ("dx.expert", "黄文博", "110115", "区医院", "life"),
        ("dx.expert2", "林雅琴", "110115", "北京理工大学", "engineering"),
        ("dx.expert3", "周立群", "110115", "中国农业大学", "agriculture"),
        ("dx.expert4", "许振华", "110115", "区气象局", "earth"),
        ("xc.expert", "韩冰", "110102", "北京天文馆", "physics"),
        ("xc.expert2", "曹晓梅", "110102", "区疾控中心", "life"),
    ]
    actors = []
    for i, (username, name, code, affiliation, field) in enumerate(people):
        office_actor = offices[code]
        user = User.objects.filter(username=username).first()
        if user is None:
            user = staff_create(
                actor=office_actor,
                username=username,
                name=name,
                password=PASSWORD,
                organization=office_actor.organization,
                role=Role.EXPERT,
                phone=f"1390000{1100 + i:04d}",
                title="科普专家",
            )
            ctx.logins.append((f"{Role.EXPERT.label} {name}", username, PASSWORD))
        if expert_of_user(user) is None:
            expert_create(
                actor=office_actor,
                name=name,
                field=field,
                district=office_actor.place,
                title="研究员",
                affiliation=affiliation,
                user=user,
                term_start=date(2025, 1, 1),
                term_end=date(2028, 12, 31),
            )
        actors.append(_actor(user, Role.EXPERT))
    return actors


def _scores(app, points: list) -> dict:
    items = list(app.rubric.items.all())
    data = {f"item_{i.pk}": str(p) for i, p in zip(items, points, strict=True)}
    data.update({f"note_{i.pk}": "" for i in items})
    data["comment"] = "材料齐全，展教特色鲜明。"
    return data


def _walk(stage, base, host, office, experts, city_office, rng) -> None:
    """Move ``base`` through certification to ``stage`` (times in the past where the workflow needs them)."""
    from kepu.bases import services
    from kepu.bases.models import ScoreSheet, SheetStatus

    if stage == "none":
        return
    app = services.application_start(actor=host, base=base)
    services.application_update(
        actor=host,
        application=app,
        statement=f"{base.name}常年面向公众开放，设有常设展厅与科普活动室，年均开展科普活动百余场。",
        visitors_declared=rng.randint(8000, 60000),
    )
    services.material_add(actor=host, application=app, kind="form", upload=_pdf(f"{base.name}申报书"))
    services.material_add(actor=host, application=app, kind="venue", upload=_pdf(f"{base.name}场地证明"))
    if stage == "draft":
        return

    def step(actor, name, **data):
        reason = data.pop("reason", "")
        return services.application_transition(actor=actor, application=app, action=name, data=data, reason=reason)

    step(host, "submit")
    if stage == "submitted":
        return
    if stage == "returned":
        step(office, "return", reason="场地面积证明不清晰，请补充产权或租赁证明。")
        return
    step(office, "accept", experts=3)
    sheets = list(ScoreSheet.objects.filter(application=app, status=SheetStatus.PENDING).select_related("scorer"))
    by_user = {e.user.pk: e for e in experts}
    scored = sheets[:1] if stage == "expert_review" else sheets
    for sheet in scored:
        expert = by_user[sheet.scorer_id]
        points = [rng.choice([20, 21, 22, 23]), rng.choice([20, 21, 22]), 17, 13, 13]
        services.sheet_submit(actor=expert, sheet=sheet, data=_scores(app, points))
    if stage == "expert_review":
        return
    step(office, "to_inspection")
    if stage == "inspection":
        return
    today = timezone.localdate(clock.now())
    if stage == "refused":
        step(office, "refuse", reason="开放天数和年接待量未达到区级科普基地标准。")
        return
    step(
        office,
        "inspect",
        inspected_on=today.isoformat(),
        inspectors="区科协 李建华、专家 林雅琴",
        findings="展厅设施完好，讲解员在岗，预约与安全制度健全。",
        passed="yes",
    )
    if stage == "decision":
        return
    step(office, "certify", notice_days=7, term_years=3, note="经专家评审和实地核查，拟认定为区级科普基地。")
    if stage == "notice":
        return
    clock.advance(timedelta(days=8))
    step(office, "confirm")


@seeder(order=70)
def seed_bases(ctx: SeedContext) -> None:
    from kepu.accounts.models import User
    from kepu.activities import services as activity_services
    from kepu.bases import services
    from kepu.bases.models import Base
    from kepu.bases.standards import ensure_rubrics
    from kepu.orgs.choices import OrgKind
    from kepu.orgs.models import Organization
    from kepu.places.choices import PlaceLevel
    from kepu.places.models import Place

    ensure_rubrics(timezone.localdate().year)
    ensure_rubrics(timezone.localdate().year - 1)
    if Base.objects.exists():
        ctx.out("    science bases exist; skipped")
        return
    admin = User.objects.filter(username="city.admin").first()
    if admin is None:
        return
    city_office = _actor(admin, Role.CITY_ADMIN)
    offices = {}
    for code in ("110115", "110102", "110108", "110118"):
        org = Organization.objects.filter(kind=OrgKind.DISTRICT_OFFICE, place__code=code).first()
        user = User.objects.filter(memberships__organization=org, memberships__role=Role.DISTRICT_ADMIN).first()
        if user is None:
            prefix = {"110108": "hd", "110118": "my"}.get(code, code)
            user = User(username=f"{prefix}.office", name=f"{org.place.name}科协")
            user.set_password(PASSWORD)
            user.save()
            from kepu.accounts.models import Membership

            Membership.objects.create(user=user, organization=org, role=Role.DISTRICT_ADMIN, title="科普部")
            ctx.logins.append((f"{Role.DISTRICT_ADMIN.label} {org.place.name}", user.username, PASSWORD))
        offices[code] = _actor(user, Role.DISTRICT_ADMIN, org)
    experts = _experts(ctx, offices)
    rng = ctx.rng
    start = timezone.now() - timedelta(days=700)
    made = 0
    for (code, suffix), stage in STAGES.items():
        org = Organization.objects.filter(kind=OrgKind.SCIENCE_BASE, place__code=code, name__endswith=suffix).first()
        if org is None:
            continue
        host_user = User.objects.filter(memberships__organization=org, memberships__role=Role.BASE_STAFF).first()
        if host_user is None:
            host_user = User(username=f"base{org.pk}", name=f"{org.name}管理员")
            host_user.set_password(PASSWORD)
            host_user.save()
            from kepu.accounts.models import Membership

            Membership.objects.create(user=host_user, organization=org, role=Role.BASE_STAFF, title="科普教育部")
        host = _actor(host_user, Role.BASE_STAFF, org)
        street = Place.objects.filter(parent__code=code, level=PlaceLevel.STREET).order_by("code").first()
        lon, lat = CENTRES[code]
        profile = PROFILES[suffix]
        when = start if stage.startswith("certified") or stage == "revoked" else timezone.now() - timedelta(days=20)
        with clock.frozen_at(when):
            base = services.base_register(
                actor=host,
                organization=org,
                name=org.name,
                place=street,
                address=f"北京市{org.place.name}{street.name}科普路{rng.randint(1, 99)}号",
                latitude=Decimal(str(round(lat + rng.uniform(-0.04, 0.04), 6))),
                longitude=Decimal(str(round(lon + rng.uniform(-0.04, 0.04), 6))),
                description=f"{org.name}是{org.place.name}面向公众开放的科普场所。",
                phone=f"010-6{rng.randint(1000000, 9999999)}",
                hours_note="法定节假日另行公告，闭馆前30分钟停止入场。",
                **profile,
            )
            services.base_update(actor=host, base=base, hours=HOURS, slot_minutes=90, slot_capacity=40)
            _walk(
                "certified" if stage.startswith("certified") or stage == "revoked" else stage,
                base,
                host,
                offices[code],
                experts,
                city_office,
                rng,
            )
        base.refresh_from_db()
        today = timezone.localdate()
        if base.standing == "certified":
            # Slots from the day it was certified: the year's open days come from them.
            first = base.term_start
            while first <= today + timedelta(days=27):
                last = min(first + timedelta(days=300), today + timedelta(days=27))
                activity_services.venue_publish_slots(
                    actor=host, venue=base.venue, first_day=first, last_day=last, title=f"预约参观{base.name}"
                )
                first = last + timedelta(days=1)
        if stage == "certified_recommended":
            app = base.applications.get(status="certified")
            services.application_transition(
                actor=offices[code],
                application=app,
                action="recommend",
                data={"recommendation": "该基地展教资源丰富、开放服务规范，推荐认定为北京市科普基地。"},
            )
        if stage in ("certified_reviewed", "revoked", "certified_review_open"):
            _review(stage, base, host, offices[code], today)
        made += 1
    if ("110102", "科技馆") in STAGES:
        notice = Base.objects.filter(district_code="110102", name__endswith="科技馆").first()
        resident = User.objects.filter(username="r-demo-2").first()
        if notice is not None and resident is not None:
            from kepu.bases.selectors import notices

            app = notices().filter(base=notice).first()
            if app is not None:
                services.objection_lodge(
                    actor=_actor(resident, Role.RESIDENT), application=app, text="周一闭馆时间与公示的开放时间不一致。"
                )
    ctx.out(f"    {made} science bases at every stage of certification and review, {len(experts)} experts")


def _review(stage, base, host, office, today) -> None:
    """Last year's annual review of a certified base: kept, revoked, or this year's left open."""
    from kepu.bases import services

    if stage == "certified_review_open":
        services.reviews_start(actor=office, year=today.year)
        return
    year = today.year - 1
    with clock.frozen_at(timezone.now() - timedelta(days=30)):
        services.reviews_start(actor=office, year=year)
        review = base.reviews.get(year=year)
        data = {
            "visitors_unbooked": 6200,
            "sessions_off_platform": 12,
            "funding": "35.5",
            "new_exhibits": 4,
            "report": "全年开放，开展主题日活动，接待学生团体。",
        }
        services.review_transition(actor=host, review=review, action="submit", data=data)
        items = list(review.rubric.items.all())
        points = [22, 21, 17, 13, 13] if stage == "certified_reviewed" else [12, 10, 9, 8, 7]
        scores = {f"item_{i.pk}": str(p) for i, p in zip(items, points, strict=True)}
        services.review_transition(actor=office, review=review, action="score", data=scores)
        if stage == "certified_reviewed":
            services.review_transition(actor=office, review=review, action="keep")
        else:
            services.review_transition(
                actor=office, review=review, action="revoke", reason="全年开放不足百日，整改期满仍未达标。"
            )
