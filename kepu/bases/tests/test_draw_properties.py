"""Property-based: the random draw of experts never picks one from the applicant's organization or one with a
declared conflict, draws only from who may review, and is repeated exactly from its recorded seed."""

import pytest
from django.db import transaction
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from kepu.accounts.tests.factories import person
from kepu.bases import services
from kepu.bases.models import Conflict, ExpertDraw, ScoreSheet
from kepu.bases.tests.factories import advance, start
from kepu.core import clock
from kepu.core.errors import DomainError
from kepu.core.roles import Role
from kepu.volunteers.tests.factories import ExpertFactory

pytestmark = pytest.mark.django_db

#: Per expert: a member of the host organization?, how their affiliation reads, a declared conflict?, available?
EXPERT = st.tuples(
    st.booleans(),
    st.sampled_from(["elsewhere", "exact", "short", "within"]),
    st.booleans(),
    st.booleans(),
)


@pytest.fixture
def submitted(bworld):
    a = bworld.a
    app = advance(start(a), a, "submit")
    a.base.short_name = "区科技馆"
    a.base.save(update_fields=["short_name"])
    return bworld, app


def _affiliation(kind: str, org) -> str:
    return {
        "elsewhere": "某大学",
        "exact": org.name,
        "short": org.short_name,
        "within": f"{org.name}展教部",
    }[kind]


@settings(max_examples=30, deadline=None, derandomize=True, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(experts=st.lists(EXPERT, min_size=1, max_size=8), wanted=st.integers(1, 6), recuse=st.booleans())
def test_the_draw_never_picks_the_applicants_own_or_a_conflicted_expert(submitted, experts, wanted, recuse):
    world, app = submitted
    a = world.a
    org = a.base
    with transaction.atomic():
        rollback = transaction.savepoint()
        for i, (member, affiliation, conflicted, available) in enumerate(experts):
            actor = person(org if member else a.office, Role.BASE_STAFF if member else Role.EXPERT)
            expert = ExpertFactory(
                user=actor.user,
                name=f"候选{i}",
                district=a.place,
                affiliation=_affiliation(affiliation, org),
                available=available,
            )
            if conflicted:
                Conflict.objects.create(expert=expert, organization=org, reason="亲属任职", source="office")
        # The members and the conflicted may include experts of the world too.
        if recuse:
            Conflict.objects.create(
                expert_id=world.a.experts[0].user.expert.pk, organization=org, reason="兼职", source="expert"
            )
        try:
            with clock.frozen_at(clock.now()):
                draw = services.experts_draw(actor=a.admin, application=app, wanted=wanted, now=clock.now())
        except DomainError as exc:
            assert exc.code == "experts_too_few"
            assert ExpertDraw.objects.filter(application=app).count() == 0
        else:
            members = {u.pk for u in org_staff(org)}
            conflicts = set(Conflict.objects.filter(organization=org).values_list("expert_id", flat=True))
            drawn = list(ScoreSheet.objects.filter(application=app).select_related("expert"))
            assert len(drawn) == wanted == len(draw.drawn)
            for sheet in drawn:
                e = sheet.expert
                assert e.user_id not in members, "an expert from the applicant's organization"
                assert e.pk not in conflicts, "an expert with a declared conflict"
                assert org.name not in e.affiliation and (not org.short_name or org.short_name not in e.affiliation)
                assert e.available and e.user_id is not None
            assert set(draw.drawn) <= set(draw.pool)
            assert services.draw_from(draw.pool, wanted, draw.seed) == draw.drawn  # the seed repeats the draw
        transaction.savepoint_rollback(rollback)


def org_staff(org):
    from kepu.accounts.selectors import staff_of

    return staff_of([org.pk], list(Role))
