"""The demo seeder, seeded once for the module: a login per role, the apps' realistic data (the plans imported
from the fixture documents, an estimated survey round and its trend), and a second run that changes nothing."""

import pytest
from django.core.management import call_command

from kepu.accounts.models import Membership, User
from kepu.core.actor import Actor
from kepu.core.permissions import can
from kepu.core.roles import Role


@pytest.fixture(scope="module")
def _seeded(django_db_setup, django_db_blocker):
    from kepu.core.testing.demo import demo_for_the_module

    with demo_for_the_module(django_db_blocker) as printed:
        yield printed


@pytest.fixture
def printed(_seeded, db):
    return _seeded


def _actor(username: str, role: str | None = None) -> Actor:
    membership = Membership.objects.get(user__username=username, **({"role": role} if role else {}))
    return Actor(user=membership.user, membership=membership)


def test_the_seed_prints_a_login_per_role_and_holds_every_role(printed):
    for login in (
        "city.admin",
        "dx.office",
        "dx.street",
        "dx.community",
        "dx.health",
        "dx.team",
        "dx.base",
        "13800000001",
    ):
        assert login in printed
    assert set(Membership.objects.values_list("role", flat=True)) == set(Role.values)


def test_the_demo_imports_the_two_fixture_plans_and_builds_this_years_plan(printed):
    from kepu.plans.models import NodeKind, Plan
    from kepu.plans.selectors import my_tasks, plan_progress

    plans = {p.place.code: p for p in Plan.objects.select_related("place")}
    assert set(plans) == {"110118", "110102", "110115"}
    miyun, xicheng = plans["110118"], plans["110102"]
    assert miyun.title == "2024年密云区科普工作要点" and miyun.year == 2024
    assert miyun.nodes.filter(kind=NodeKind.TASK).count() == 19
    assert xicheng.nodes.filter(kind=NodeKind.TASK).count() == 23
    # 区科委 in Miyun's plan is the district's 区科信局 (alias), and 各镇（街道）（地区） expands to its street offices.
    first = miyun.nodes.filter(kind=NodeKind.TASK).order_by("position").first()
    names = {o.short_name for o in first.co_units.all()} | {first.lead_unit.short_name}
    assert "区科信局" in names and any(o.kind == "street_office" for o in first.co_units.all())
    tasks = my_tasks(actor=_actor("xc.tech"))
    assert len(tasks) >= 20 and all(t.node.plan_id == xicheng.pk for t in tasks)

    # 大兴's plan of this year is live: its targets count the demo's records, and a unit has reported.
    view = plan_progress(plans["110115"])
    live = [tv for n in view.tasks for tv in n.targets if tv.target.is_live]
    assert {tv.target.measure_key for tv in live} == {"activities.held", "orders.completed"}
    assert all(tv.current is not None for tv in live)
    reported = next(n for n in view.tasks if n.node.title == "开展老年人健康科普进社区")
    assert reported.percent == 70  # 28 of 40 lectures


def test_the_demo_has_an_estimated_survey_round_and_the_trend(printed):
    from kepu.survey import selectors
    from kepu.survey.models import Response, Round, RoundStatus, SampledCommunity

    round_ = Round.objects.get(status=RoundStatus.OPEN)
    assert Response.objects.filter(round=round_).count() >= 2000
    actor = _actor("city.admin", Role.CITY_ADMIN)
    results = selectors.round_results(actor=actor, round_=round_)
    assert results["run"].calibrated
    assert 0.15 < results["city"].estimate < 0.45
    assert {kind for kind, _label, _rows in results["groups"]} >= {"district", "sex", "age_group", "education"}
    trend = selectors.trend(actor=actor)
    assert [(p["year"], p["recorded"]) for p in trend] == [(2020, True), (2023, True), (2026, False)]
    assert trend[0]["rate"] == pytest.approx(0.2407) and trend[1]["rate"] == pytest.approx(0.2768)
    resident = _actor("r-demo-2", Role.RESIDENT)
    assert SampledCommunity.objects.filter(round=round_, place=resident.user.home_place).exists()
    assert can(resident, "take", round_)


def test_a_second_seed_changes_nothing(printed):
    from kepu.plans.models import Plan
    from kepu.survey.models import Round, RoundStatus

    names = list(User.objects.order_by("pk").values_list("name", flat=True)[:40])
    counts = (User.objects.count(), Membership.objects.count(), Plan.objects.count())
    call_command("seed_demo", "--quiet-logins")
    assert list(User.objects.order_by("pk").values_list("name", flat=True)[:40]) == names
    assert (User.objects.count(), Membership.objects.count(), Plan.objects.count()) == counts
    assert User.objects.filter(username="city.admin").count() == 1
    assert Round.objects.filter(status=RoundStatus.OPEN).count() == 1
