"""The demo seeder gives a realistic round: thousands of questionnaires, results, past figures, a sample the demo
resident can answer in."""

import pytest
from django.core.management import call_command

from kepu.accounts.models import Membership
from kepu.core.actor import Actor
from kepu.core.permissions import can
from kepu.core.roles import Role
from kepu.survey import selectors
from kepu.survey.models import Response, Round, RoundStatus, SampledCommunity

pytestmark = pytest.mark.django_db


def test_demo_seed_builds_an_estimated_round_and_the_trend(capsys):
    call_command("seed_demo", "--quiet-logins")
    capsys.readouterr()
    round_ = Round.objects.get(status=RoundStatus.OPEN)
    assert Response.objects.filter(round=round_).count() >= 2000
    city = Membership.objects.get(user__username="city.admin", role=Role.CITY_ADMIN)
    actor = Actor(user=city.user, membership=city)
    results = selectors.round_results(actor=actor, round_=round_)
    assert results["run"].calibrated
    assert 0.15 < results["city"].estimate < 0.45
    assert {kind for kind, _label, _rows in results["groups"]} >= {"district", "sex", "age_group", "education"}
    trend = selectors.trend(actor=actor)
    assert [(p["year"], p["recorded"]) for p in trend] == [(2020, True), (2023, True), (2026, False)]
    assert trend[0]["rate"] == pytest.approx(0.2407) and trend[1]["rate"] == pytest.approx(0.2768)
    resident = Membership.objects.get(user__username="r-demo-2", role=Role.RESIDENT)
    assert SampledCommunity.objects.filter(round=round_, place=resident.user.home_place).exists()
    assert can(Actor(user=resident.user, membership=resident), "take", round_)
    call_command("seed_demo", "--quiet-logins")  # idempotent
    assert Round.objects.filter(status=RoundStatus.OPEN).count() == 1
