"""The hours per month (``HoursMonth``, and per month and district ``HoursMonthDistrict``) the figures of a place
read: always equal to the ledger counted again, after any mix of credits, repeats and corrections in two teams of
two districts and over months; the migrations' backfills and ``rebuild`` fill them the same way from an existing
ledger."""

import importlib
from datetime import date, timedelta

import pytest
from django.apps import apps
from django.utils import timezone
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from kepu.volunteers import rollup, services
from kepu.volunteers.models import HoursBalance, HoursEntry, HoursMonth, HoursMonthDistrict
from kepu.volunteers.tests.factories import member_volunteer
from kepu.volunteers.tests.test_ledger import empty_ledger

pytestmark = pytest.mark.django_db

ops = st.lists(
    st.tuples(st.integers(0, 1), st.integers(0, 4), st.integers(0, 80), st.integers(1, 600)), min_size=1, max_size=20
)


def _world_volunteers(world):
    if not hasattr(world, "_hm"):
        world._hm = [
            (world.a.team, world.a.team_staff, member_volunteer(world.a.team, world.a.team_staff)[1]),
            (world.b.team, world.b.team_staff, member_volunteer(world.b.team, world.b.team_staff)[1]),
        ]
    return world._hm


@settings(max_examples=25, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(ops=ops, corrections=st.lists(st.integers(-300, 300), max_size=5))
def test_property_the_month_table_equals_the_ledger(world, ops, corrections):
    HoursBalance.objects.all().delete()
    HoursMonth.objects.all().delete()
    HoursMonthDistrict.objects.all().delete()
    empty_ledger()
    teams = _world_volunteers(world)
    today = timezone.localdate()
    for who, ref, days_ago, minutes in ops:
        team, _staff, v = teams[who]
        services.credit_hours(
            volunteer=v, organization=team, minutes=minutes, source="activity", key=("activity", ref, v.pk),
            served_on=today - timedelta(days=days_ago),
        )  # fmt: skip
    entries = list(HoursEntry.objects.select_related("organization").order_by("pk"))
    for i, delta in enumerate(corrections):
        target = entries[i % len(entries)]
        current = target.minutes + sum(c.minutes for c in target.corrections.all())
        if delta == 0 or current + delta < 0:
            continue
        staff = next(s for t, s, _v in teams if t.pk == target.organization_id)
        services.hours_correct(actor=staff, entry=target, minutes=delta, reason="核对")
    want = rollup.recompute()
    assert rollup.stored() == want
    assert sum(m for m, _n in want.values()) == sum(e.minutes for e in HoursEntry.objects.all())
    assert {path for (_m, _o, path) in want} <= {world.a.team.place.path, world.b.team.place.path}
    by_district = rollup.recompute_districts()
    assert rollup.stored(HoursMonthDistrict) == by_district
    assert {d for (_m, d) in by_district} <= {world.a.team.place.district_code, world.b.team.place.district_code}
    assert sum(m for m, _n in by_district.values()) == sum(m for m, _n in want.values())


def test_backfill_and_rebuild_fill_the_table_from_the_ledger(world):
    team, _staff, v = _world_volunteers(world)[0]
    for i, day in enumerate((date(2026, 1, 31), date(2026, 2, 1), date(2026, 2, 28))):
        services.credit_hours(
            volunteer=v, organization=team, minutes=60 + i, source="import", key=("i", i), served_on=day
        )
    want = rollup.recompute()
    assert want == {
        (date(2026, 1, 1), team.pk, team.place.path): (60, 1),
        (date(2026, 2, 1), team.pk, team.place.path): (61 + 62, 2),
    }
    district = team.place.district_code
    assert district and rollup.recompute_districts() == {
        (date(2026, 1, 1), district): (60, 1),
        (date(2026, 2, 1), district): (61 + 62, 2),
    }
    assert rollup.stored(HoursMonthDistrict) == rollup.recompute_districts()
    HoursMonth.objects.all().delete()
    HoursMonthDistrict.objects.all().delete()
    importlib.import_module("kepu.volunteers.migrations.0009_hours_month").backfill(apps, None)
    importlib.import_module("kepu.volunteers.migrations.0010_hours_month_district").backfill(apps, None)
    assert rollup.stored() == want
    assert rollup.stored(HoursMonthDistrict) == rollup.recompute_districts()
    HoursMonth.objects.update(minutes=1)
    HoursMonthDistrict.objects.update(minutes=1)
    assert rollup.rebuild() == 2 and rollup.stored() == want
    assert rollup.stored(HoursMonthDistrict) == rollup.recompute_districts()
