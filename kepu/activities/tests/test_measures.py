"""The plan target "activities held in 大兴区 under 全国科普日 in 2026", on real activities."""

from datetime import datetime, timedelta
from decimal import Decimal

import pytest
from django.utils import timezone

from kepu.activities.models import Theme
from kepu.activities.tests.factories import published_activity
from kepu.plans.measures import compute_measure, get_measure

TZ = timezone.get_fixed_timezone(480)
FILTERS = {"place": "110115", "theme": "national-science-day", "year": 2026}


@pytest.fixture
def science_day(db):
    return Theme.objects.get(slug="national-science-day")


def held(**overrides):
    return compute_measure("activities.held", {**FILTERS, **overrides})


@pytest.mark.django_db
def test_the_measure_is_offered_to_plans():
    assert get_measure("activities.held").unit == "场"
    assert get_measure("activities.person_times").unit == "人次"


@pytest.mark.django_db
def test_a_target_moves_when_such_an_activity_is_held_and_not_when_another_is(world, science_day):
    start = datetime(2026, 9, 19, 9, 0, tzinfo=TZ)
    assert held() == Decimal(0)
    published_activity(world.a.unit_staff, starts_at=start, theme=science_day, title="科普日讲座")
    assert held() == Decimal(1)
    # Another district, another theme, another year, a session still to come: none of them count.
    published_activity(world.b.unit_staff, starts_at=start, theme=science_day, title="西城的科普日")
    published_activity(world.a.unit_staff, starts_at=start, title="没有主题的讲座")
    published_activity(world.a.unit_staff, starts_at=start - timedelta(days=365), theme=science_day, title="去年的")
    published_activity(
        world.a.unit_staff, starts_at=timezone.now() + timedelta(days=30), theme=science_day, title="还没举办"
    )
    assert held() == Decimal(1)
    # A series counts each session held (场).
    published_activity(
        world.a.street_staff, starts_at=start - timedelta(days=14), sessions=2, theme=science_day, title="系列活动"
    )
    assert held() == Decimal(3)
    assert held(place="110115001") == Decimal(2)  # the street's own sessions
    assert held(place="110102") == Decimal(1)
