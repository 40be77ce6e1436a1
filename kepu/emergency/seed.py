"""Demo emergency data: two approved packs of the Daxing office (rainstorm, heat) made of the demo library's
published pieces, and a past red rainstorm event for two streets, declared, sent, ticked off and closed.

Everything goes through the services, with the clock set back for the past event, so the demo holds exactly
what the platform can produce.
"""

from __future__ import annotations

from datetime import timedelta

from kepu.core.seeding import SeedContext, seeder

#: hazard code -> (pack title, SMS text, words of the pieces to prefer)
PACKS = {
    "rainstorm": (
        "暴雨洪涝应急科普包",
        "【暴雨预警】减少外出，远离低洼地带和地下空间，积水漫过膝盖不要涉水，车辆被淹立即弃车。",
        ("暴雨", "雨", "汛", "雷电"),
    ),
    "heat": (
        "高温应急科普包",
        "【高温预警】避开中午最热时段外出，多喝水，老人和慢性病人注意防暑，出现中暑症状及时就医。",
        ("高温", "中暑", "暑"),
    ),
}


def _pick(words, *, kind: str = "", elderly: bool = False, exclude=()):
    """A published piece of the demo library on safety or health, those whose title holds one of ``words`` first."""
    from django.db.models import Q

    from kepu.resources.selectors import public_resources

    qs = (
        public_resources()
        .filter(Q(topics__contains=",safety,") | Q(topics__contains=",health,"))
        .exclude(pk__in=list(exclude))
    )
    if kind:
        qs = qs.filter(kind=kind)
    if elderly:
        qs = qs.filter(populations__contains=",elderly,")
    rows = list(qs.order_by("pk")[:200])
    rows.sort(key=lambda r: (not any(w in r.title for w in words), r.pk))
    return rows[0] if rows else None


@seeder(order=75)
def seed_emergency(ctx: SeedContext) -> None:
    from django.contrib.auth import get_user_model
    from django.utils import timezone
    from django.utils.datastructures import MultiValueDict

    from kepu.accounts.selectors import membership_of
    from kepu.core import clock
    from kepu.core.actor import Actor
    from kepu.core.roles import Role
    from kepu.emergency import services
    from kepu.emergency.models import Hazard, Pack

    office_user = get_user_model().objects.filter(username="dx.office").first()
    membership = membership_of(office_user.pk, Role.DISTRICT_ADMIN) if office_user else None
    if membership is None or Pack.objects.exists():
        ctx.out("    no demo district office (or packs already there): skipped")
        return
    office = Actor(user=office_user, membership=membership)
    back = timezone.now() - timedelta(days=40)
    made = 0
    with clock.frozen_at(back):
        for code, (title, sms, words) in PACKS.items():
            poster_piece = _pick(words, kind="poster")
            elder_piece = _pick(words, elderly=True, exclude={poster_piece.pk} if poster_piece else ())
            guide = _pick(words, exclude={p.pk for p in (poster_piece, elder_piece) if p})
            pieces = [p for p in (guide, elder_piece) if p is not None]
            if not pieces or poster_piece is None or elder_piece is None:
                continue
            pack = services.pack_create(
                actor=office,
                data={
                    "hazard": str(Hazard.objects.get(code=code).pk),
                    "title": title,
                    "sms_text": sms,
                    "items": ",".join(str(p.pk) for p in pieces),
                    "poster": str(poster_piece.pk),
                    "elder": str(elder_piece.pk),
                },
            )
            review_by = (back + timedelta(days=365)).date().isoformat()
            services.pack_transition(actor=office, pack=pack, action="approve", data={"review_by": review_by})
            made += 1
    if not Pack.objects.filter(hazard__code="rainstorm").exists():
        ctx.out(f"    {made} packs; no past event (the demo library has no pieces for a rainstorm pack)")
        return
    from kepu.places.selectors import children_of

    streets = list(children_of(membership.organization.place.code)[:2])
    start = back + timedelta(days=10)
    with clock.frozen_at(start):
        local = timezone.localtime(start)
        data = MultiValueDict(
            {
                "hazard": [str(Hazard.objects.get(code="rainstorm").pk)],
                "level": ["red"],
                "places": [s.code for s in streets],
                "starts_at": [local.strftime("%Y-%m-%dT%H:%M")],
                "expected_end": [(local + timedelta(hours=18)).strftime("%Y-%m-%dT%H:%M")],
            }
        )
        event = services.event_declare(actor=office, data=data)
        # The worker would run this after the commit; the demo runs it here, in the past.
        services.fan_out_run(event.pk)
        services.fan_out_work_run(event.pk)
    with clock.frozen_at(start + timedelta(hours=20)):
        services.event_transition(
            actor=office,
            event=event,
            action="close",
            data={
                "review": "预警发布后两小时内两个街道的居民全部收到短信和站内信，老年人优先。"
                "多数社区完成张贴海报和通知居民群；部分社区独居老人走访延迟，下次提前排好走访名单。"
            },
        )
    ctx.out(f"    {made} packs, 1 past event ({event.deliveries.count()} residents told)")
