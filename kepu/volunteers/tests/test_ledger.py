"""The hours ledger: credited once per service, corrections balance, balances equal the ledger, stars follow."""

import pytest
from django.db import connection, transaction
from django.db.models import Sum
from django.db.utils import DatabaseError, IntegrityError
from django.utils import timezone
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from kepu.accounts.tests.factories import person
from kepu.core.dbguard import flush_allowed
from kepu.core.errors import DomainError, NotAllowed
from kepu.core.roles import Role
from kepu.volunteers import selectors, services
from kepu.volunteers.models import HoursBalance, HoursEntry, star_level
from kepu.volunteers.tests.factories import member_volunteer

pytestmark = pytest.mark.django_db


def _ledger_total(**filters) -> int:
    return HoursEntry.objects.filter(**filters).aggregate(t=Sum("minutes"))["t"] or 0


def test_the_ledger_refuses_edits_and_deletes(world):
    actor, v = member_volunteer(world.a.team, world.a.team_staff)
    entry, _ = services.credit_hours(
        volunteer=v, organization=world.a.team, minutes=60, source="import", key="x", served_on=timezone.localdate()
    )
    with pytest.raises(TypeError):
        entry.save()
    with pytest.raises(TypeError):
        HoursEntry.objects.filter(pk=entry.pk).update(minutes=999)
    with pytest.raises(TypeError):
        entry.delete()
    with pytest.raises((DatabaseError, IntegrityError)), transaction.atomic(), connection.cursor() as cursor:
        cursor.execute("UPDATE volunteers_hoursentry SET minutes = 999 WHERE id = %s", [entry.pk])
    with pytest.raises((DatabaseError, IntegrityError)), transaction.atomic(), connection.cursor() as cursor:
        cursor.execute("DELETE FROM volunteers_hoursentry WHERE id = %s", [entry.pk])
    assert HoursEntry.objects.get(pk=entry.pk).minutes == 60


def test_corrections_are_new_entries_that_balance(world):
    staff = world.a.team_staff
    actor, v = member_volunteer(world.a.team, staff)
    entry, _ = services.credit_hours(
        volunteer=v,
        organization=world.a.team,
        minutes=180,
        source="need",
        key="need:1:1",
        served_on=timezone.localdate(),
    )
    with pytest.raises(NotAllowed):
        services.hours_correct(actor=world.b.team_staff, entry=entry, minutes=-60, reason="x")
    with pytest.raises(NotAllowed):
        services.hours_correct(actor=actor, entry=entry, minutes=-60, reason="x")
    with pytest.raises(DomainError):
        services.hours_correct(actor=staff, entry=entry, minutes=-60, reason="")
    services.hours_correct(actor=staff, entry=entry, minutes=-60, reason="签退时间录错")
    with pytest.raises(DomainError) as exc:
        services.hours_correct(actor=staff, entry=entry, minutes=-121, reason="多扣")
    assert exc.value.code == "correction_too_large"
    services.hours_correct(actor=staff, entry=entry, minutes=-120, reason="未到场")
    assert HoursEntry.objects.count() == 3
    assert entry.minutes == 180 and HoursEntry.objects.get(pk=entry.pk).minutes == 180
    assert selectors.volunteer_minutes(v) == 0 == _ledger_total()


@pytest.mark.parametrize(
    "hours, stars",
    [(0, 0), (99.9, 0), (100, 1), (299, 1), (300, 2), (600, 3), (999, 3), (1000, 4), (1500, 5), (9000, 5)],
)
def test_star_levels(hours, stars):
    assert star_level(round(hours * 60)) == stars


def test_star_level_follows_the_ledger_and_signals_changes(world, django_capture_on_commit_callbacks):
    from kepu.volunteers.signals import star_level_changed

    seen = []

    def listener(sender, volunteer, stars, **kw):
        seen.append(stars)

    star_level_changed.connect(listener)
    try:
        actor, v = member_volunteer(world.a.team, world.a.team_staff)
        with django_capture_on_commit_callbacks(execute=True):
            for i, minutes in enumerate((99 * 60, 60, 200 * 60)):
                services.credit_hours(
                    volunteer=v,
                    organization=world.a.team,
                    minutes=minutes,
                    source="import",
                    key=("t", i),
                    served_on=timezone.localdate(),
                )
    finally:
        star_level_changed.disconnect(listener)
    assert seen == [1, 2]  # 99 h: none; 100 h: one star; 300 h: two
    assert selectors.volunteer_summary(v)["stars"] == 2


credits = st.lists(
    st.tuples(
        st.sampled_from(["order", "activity", "need", "report"]),
        st.integers(1, 6),
        st.integers(0, 2),
        st.integers(1, 600),
    ),
    min_size=1,
    max_size=25,
)


def empty_ledger():
    """The database refuses deletes of ledger rows: the test suite's switch on SQLite, TRUNCATE (the owner's
    right, not the app's) on PostgreSQL."""
    if connection.vendor == "postgresql":
        with connection.cursor() as cursor:
            cursor.execute("SET CONSTRAINTS ALL IMMEDIATE")  # deferred checks would hold TRUNCATE back
            cursor.execute("TRUNCATE volunteers_hoursentry")
            cursor.execute("SET CONSTRAINTS ALL DEFERRED")
        return
    with flush_allowed():
        HoursEntry.objects.all()._raw_delete(HoursEntry.objects.db)


@settings(max_examples=30, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(ops=credits, corrections=st.lists(st.integers(-300, 300), max_size=6))
def test_property_balances_equal_the_ledger_and_duplicates_never_count(world, ops, corrections):
    HoursBalance.objects.all().delete()
    empty_ledger()  # reset between examples; the app never deletes
    staff = world.a.team_staff
    if not hasattr(world, "_vols"):
        world._vols = [member_volunteer(world.a.team, staff)[1] for _ in range(3)]
    vols = world._vols
    expected: dict[tuple, int] = {}
    for source, ref, who, minutes in ops:
        key = (source, ref, vols[who].pk)
        entry, created = services.credit_hours(
            volunteer=vols[who],
            organization=world.a.team,
            minutes=minutes,
            source=source,
            key=key,
            served_on=timezone.localdate(),
        )
        assert created == (key not in expected)
        expected.setdefault(key, minutes)
    entries = list(HoursEntry.objects.order_by("pk"))
    for i, delta in enumerate(corrections):
        target = entries[i % len(entries)]
        current = target.minutes + sum(c.minutes for c in target.corrections.all())
        if delta == 0 or current + delta < 0:
            continue
        services.hours_correct(actor=staff, entry=target, minutes=delta, reason="核对")
        expected[("c", i)] = delta
    assert _ledger_total() == sum(expected.values())
    for v in vols:
        assert selectors.volunteer_minutes(v) == _ledger_total(volunteer=v)
        assert star_level(selectors.volunteer_minutes(v)) == star_level(_ledger_total(volunteer=v))
    assert selectors.organization_minutes(world.a.team.pk) == _ledger_total(organization=world.a.team)
    assert _ledger_total() >= 0


def test_other_roles_see_only_their_hours(world):
    actor, v = member_volunteer(world.a.team, world.a.team_staff)
    other_actor, other = member_volunteer(world.b.team, world.b.team_staff)
    for vol, org in ((v, world.a.team), (other, world.b.team)):
        services.credit_hours(
            volunteer=vol,
            organization=org,
            minutes=30,
            source="import",
            key=("i", vol.pk),
            served_on=timezone.localdate(),
        )
    assert [e.volunteer for e in selectors.hours_entries(actor=actor)] == [v]
    assert [e.volunteer for e in selectors.hours_entries(actor=world.a.team_staff)] == [v]
    assert [e.volunteer for e in selectors.hours_entries(actor=world.a.admin)] == [v]
    assert {e.volunteer for e in selectors.hours_entries(actor=world.city_admin)} == {v, other}
    assert list(selectors.hours_entries(actor=world.a.unit_staff)) == []
    assert list(selectors.hours_entries(actor=person(world.a.committees[1], Role.RESIDENT))) == []
