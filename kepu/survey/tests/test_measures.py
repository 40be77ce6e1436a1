"""Plan targets can be bound to the literacy rate the survey estimated."""

from decimal import Decimal

import pytest

from kepu.plans.measures import compute_measure, get_measure, measure_records_url
from kepu.survey import services
from kepu.survey.models import LiteracyEstimate

pytestmark = pytest.mark.django_db

KEY = "survey.literacy_rate"


def percent(rate: float) -> Decimal:
    return (Decimal(str(rate)) * 100).quantize(Decimal("0.01"))


def test_no_survey_yet_gives_zero(world):
    assert get_measure(KEY).unit == "%"
    assert compute_measure(KEY, {}) == Decimal(0)
    assert compute_measure(KEY, {"place": world.a.place.code}) == Decimal(0)


def test_city_and_district_rates_come_from_the_latest_finished_run(world, filled):
    estimates = {(e.kind, e.level): e.estimate for e in LiteracyEstimate.objects.filter(run=filled.run)}
    city = estimates[("city", "")]
    district_a = estimates[("district", world.a.place.code)]
    district_b = estimates[("district", world.b.place.code)]
    assert district_a != district_b  # otherwise the test could not tell districts apart

    assert compute_measure(KEY, {}) == percent(city)
    assert compute_measure(KEY, {"place": world.city.code}) == percent(city)
    assert compute_measure(KEY, {"place": world.a.place.code}) == percent(district_a)
    assert compute_measure(KEY, {"place": world.b.place.code, "year": 2026}) == percent(district_b)
    # A street is not what the sample is designed to estimate; another year has no round.
    assert compute_measure(KEY, {"place": world.a.streets[0].code}) == Decimal(0)
    assert compute_measure(KEY, {"year": 2019}) == Decimal(0)
    assert measure_records_url(KEY, {}).endswith(f"/rounds/{filled.round.pk}/results/")


def test_a_recorded_historic_round_counts_for_the_city_in_its_year(world, filled):
    services.round_record_historic(actor=world.city_admin, name="2020年调查", year=2020, rate=0.2431)
    assert compute_measure(KEY, {"year": 2020}) == Decimal("24.31")
    assert compute_measure(KEY, {"year": 2020, "place": world.a.place.code}) == Decimal(0)
    # Without a year the most recent figure wins: the 2026 estimate, not the 2020 record.
    city = LiteracyEstimate.objects.get(run=filled.run, kind="city").estimate
    assert compute_measure(KEY, {}) == percent(city)
