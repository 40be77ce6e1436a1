"""The people holding a counted role under each place (``kepu.accounts.holders``): after any mix of joining, ending,
rejoining and deleting memberships, backdated ones, people closed and reopened and a team moved, the kept counts
equal the distinct count from the memberships at every level and year, and a rebuild gives the same rows."""

from datetime import timedelta

import pytest
from django.utils import timezone
from hypothesis import HealthCheck, example, given, settings
from hypothesis import strategies as st

from kepu.accounts import holders, services
from kepu.accounts.models import Membership, RoleHolderMonth, RoleHolderPlace, User
from kepu.accounts.selectors import role_holder_counts
from kepu.accounts.tests.factories import UserFactory
from kepu.core.roles import Role
from kepu.orgs.choices import OrgKind
from kepu.orgs.tests.factories import OrganizationFactory

pytestmark = pytest.mark.django_db

ops = st.lists(
    st.tuples(
        st.sampled_from(["join", "end", "delete", "backdate", "close", "reopen", "move"]),
        st.integers(0, 1),  # person
        st.integers(0, 2),  # team
        st.integers(0, 800),  # days back, for a backdated membership
    ),
    min_size=1,
    max_size=25,
)


def _setup(world):
    if not hasattr(world, "_rh"):
        a, b = world.a, world.b
        street_team = OrganizationFactory(name="街道志愿队", kind=OrgKind.VOLUNTEER_ORG, place=a.streets[0])
        world._rh = {
            "people": [UserFactory() for _ in range(4)],
            "teams": [a.team, street_team, b.team],
            "places": [world.city, a.place, b.place, a.streets[0], a.streets[1], b.streets[0]],
        }
    return world._rh


def _state():
    rows = set(RoleHolderPlace.objects.values_list("role", "user_id", "place_path", "since"))
    months = set(RoleHolderMonth.objects.filter(people__gt=0).values_list("role", "place_path", "month", "people"))
    assert not RoleHolderMonth.objects.filter(people__lt=0).exists()
    return rows, months


@settings(max_examples=50, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(ops=ops)
@example(ops=[("join", 0, 0, 0), ("delete", 0, 0, 0)])
@example(ops=[("join", 0, 0, 0), ("end", 0, 0, 0)])
@example(ops=[("join", 0, 1, 0), ("join", 0, 0, 0), ("backdate", 0, 1, 400), ("end", 0, 1, 0)])
@example(ops=[("join", 0, 1, 0), ("move", 0, 1, 0)])
@example(ops=[("join", 1, 2, 0), ("close", 1, 0, 0)])
def test_property_kept_counts_equal_the_memberships_counted_again(world, ops):
    s = _setup(world)
    Membership.objects.filter(user__in=s["people"]).delete()
    User.objects.filter(pk__in=[p.pk for p in s["people"]]).update(is_active=True)
    holders.refresh([p.pk for p in s["people"]])
    s["teams"][1].place = world.a.streets[0]
    s["teams"][1].save()
    now = timezone.now()
    for op, who, team_i, days in ops:
        user = User.objects.get(pk=s["people"][who].pk)
        team = s["teams"][team_i]
        held = Membership.objects.filter(user=user, organization=team, role=Role.VOLUNTEER).first()
        if op == "join":
            if held is None:
                Membership.objects.create(user=user, organization=team, role=Role.VOLUNTEER)
            elif not held.is_active:
                held.is_active = True
                held.save(update_fields=["is_active"])
        elif op == "end" and held is not None:
            held.is_active = False
            held.save(update_fields=["is_active"])
        elif op == "delete" and held is not None:
            held.delete()
        elif op == "backdate" and held is not None:  # an old membership brought in by a migration, then recounted
            Membership.objects.filter(pk=held.pk).update(created_at=now - timedelta(days=days))
            holders.refresh([user.pk])
        elif op in ("close", "reopen"):
            user.is_active = op == "reopen"
            user.save()
        elif op == "move":
            team.place = world.a.streets[1] if team.place_id == world.a.streets[0].pk else world.a.streets[0]
            team.save()
    year = timezone.localdate().year
    paths = [p.path for p in s["places"]]
    for y in (year - 2, year - 1, year):
        kept = role_holder_counts(Role.VOLUNTEER, paths, y)
        assert kept == {p: holders.recount(Role.VOLUNTEER, p, y) for p in paths}, y
    before = _state()
    holders.rebuild()
    assert _state() == before


def test_a_person_in_two_teams_of_a_district_is_one_volunteer_there_and_anonymizing_removes_them(world):
    a = world.a
    person = UserFactory()
    street_team = OrganizationFactory(name="街道志愿队", kind=OrgKind.VOLUNTEER_ORG, place=a.streets[0])
    year = timezone.localdate().year
    start = role_holder_counts(Role.VOLUNTEER, [world.city.path, a.place.path, a.streets[0].path], year)
    Membership.objects.create(user=person, organization=a.team, role=Role.VOLUNTEER)
    Membership.objects.create(user=person, organization=street_team, role=Role.VOLUNTEER)
    after = role_holder_counts(Role.VOLUNTEER, [world.city.path, a.place.path, a.streets[0].path], year)
    assert after == {
        world.city.path: start[world.city.path] + 1,
        a.place.path: start[a.place.path] + 1,
        a.streets[0].path: start[a.streets[0].path] + 1,
    }
    # Joined this year: not a volunteer of last year.
    assert role_holder_counts(Role.VOLUNTEER, [a.streets[0].path], year - 1) == {a.streets[0].path: 0}
    services.person_anonymize(actor=a.admin, person=person)
    assert role_holder_counts(Role.VOLUNTEER, [world.city.path, a.place.path, a.streets[0].path], year) == start


def test_people_created_in_bulk_by_an_import_are_counted(world):
    a = world.a
    year = timezone.localdate().year
    before = role_holder_counts(Role.VOLUNTEER, [a.place.path], year)[a.place.path]
    result = services.people_bulk_create(
        actor=a.team_staff,
        organization=a.team,
        role=Role.VOLUNTEER,
        people=[{"phone": "13700000011", "name": "甲"}, {"phone": "13700000012", "name": "乙"}],
    )
    assert len(result.created) == 2
    assert role_holder_counts(Role.VOLUNTEER, [a.place.path], year)[a.place.path] == before + 2
    assert before + 2 == holders.recount(Role.VOLUNTEER, a.place.path, year)


def test_only_the_kept_roles_can_be_asked(world):
    with pytest.raises(ValueError):
        role_holder_counts(Role.RESIDENT, [world.city.path], 2026)


def test_the_rebuild_command_checks_then_refills_after_a_bulk_load(world):
    from django.core.management import CommandError, call_command

    people = [UserFactory() for _ in range(3)]
    Membership.objects.bulk_create([Membership(user=p, organization=world.a.team, role=Role.VOLUNTEER) for p in people])
    year = timezone.localdate().year
    assert role_holder_counts(Role.VOLUNTEER, [world.a.place.path], year)[world.a.place.path] == (
        holders.recount(Role.VOLUNTEER, world.a.place.path, year) - 3
    )
    with pytest.raises(CommandError, match="differ"):
        call_command("role_holders_rebuild", "--check")
    call_command("role_holders_rebuild")
    call_command("role_holders_rebuild", "--check")
    assert role_holder_counts(Role.VOLUNTEER, [world.a.place.path], year)[world.a.place.path] == holders.recount(
        Role.VOLUNTEER, world.a.place.path, year
    )
