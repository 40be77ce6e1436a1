"""An emergency world: published pieces, an approved rainstorm pack, residents (some elderly) in both streets of
district A, people outside (a third street, district B), and an emergency team of three experts."""

from __future__ import annotations

from datetime import timedelta

from django.utils import timezone

from kepu.accounts.tests.factories import UserFactory, person
from kepu.core import clock
from kepu.core.roles import Role
from kepu.emergency import services
from kepu.emergency.models import Hazard
from kepu.places.models import PlaceLevel
from kepu.places.tests.factories import PlaceFactory
from kepu.resources.tests.factories import add_reviewers, published


def resident(community, *, elderly: bool = False):
    return UserFactory(home_place=community, key_population="elderly" if elderly else "workers")


def pack_data(w, **overrides) -> dict:
    data = {
        "hazard": str(Hazard.objects.get(code="rainstorm").pk),
        "title": "暴雨洪涝应急科普包",
        "sms_text": "暴雨红色预警：请勿外出，远离低洼地带，积水漫过膝盖不要涉水。",
        "items": f"{w.guide.pk}",
        "poster": str(w.poster.pk),
        "elder": str(w.elder.pk),
    }
    data.update(overrides)
    return data


def approved_pack(w, d=None, review_by=None):
    d = d or w.a
    pack = services.pack_create(actor=d.admin, data=pack_data(w))
    day = review_by or (timezone.localdate() + timedelta(days=180))
    return services.pack_transition(actor=d.admin, pack=pack, action="approve", data={"review_by": day.isoformat()})


def emergency_world(w):
    from kepu.volunteers.services import expert_create

    add_reviewers(w)
    a = w.a
    w.guide = published(a, title="暴雨来了怎么办", topics=["safety"], populations=["elderly"])
    w.poster = published(a, kind="poster", title="防汛海报", topics=["safety"])
    w.elder = published(a, title="长辈版：暴雨时待在家里", topics=["safety"], populations=["elderly"])
    w.street1, w.street2 = a.streets
    w.street3 = PlaceFactory(code="110115003", name="大兴区丙街道", level=PlaceLevel.STREET, parent=a.place)
    w.community3 = PlaceFactory(code="110115003001", name="丙街道1社区", level=PlaceLevel.COMMUNITY, parent=w.street3)
    w.inside_elderly = [resident(c, elderly=True) for c in a.communities for _ in range(2)]
    w.inside_others = [resident(c) for c in a.communities for _ in range(3)]
    w.outside = [resident(w.community3), resident(w.community3, elderly=True)] + [resident(c) for c in w.b.communities]
    w.team = []
    for n in range(3):
        actor = person(a.office, Role.EXPERT)
        expert_create(
            actor=a.admin,
            name=f"应急专家{n}",
            field="earth",
            district=a.place,
            user=actor.user,
            is_emergency=True,
            emergency_fields=["disasters"],
        )
        w.team.append(actor)
    w.pack = approved_pack(w)
    w.now = clock.now()
    return w


def declare_data(w, places=None, **overrides) -> dict:
    from django.utils.datastructures import MultiValueDict

    start = timezone.localtime(clock.now())
    values = {
        "hazard": [str(Hazard.objects.get(code="rainstorm").pk)],
        "level": ["red"],
        "places": [p.code for p in (places or [w.street1, w.street2])],
        "starts_at": [start.strftime("%Y-%m-%dT%H:%M")],
        "expected_end": [(start + timedelta(hours=12)).strftime("%Y-%m-%dT%H:%M")],
    }
    values.update({k: v if isinstance(v, list) else [v] for k, v in overrides.items()})
    return MultiValueDict(values)
