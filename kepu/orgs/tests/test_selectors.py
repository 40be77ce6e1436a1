"""Which organizations each person sees: offices their area, everybody else their own."""

import pytest

from kepu.accounts.tests.factories import person
from kepu.core.actor import ANONYMOUS
from kepu.core.errors import NotFound
from kepu.core.permissions import can
from kepu.core.roles import Role
from kepu.orgs import selectors
from kepu.orgs.models import Organization, OrgKind
from kepu.orgs.permissions import OrgAction

pytestmark = pytest.mark.django_db


def names(qs):
    return {o.name for o in qs}


def test_each_role_sees_its_area_or_its_own(world):
    a, b = world.a, world.b
    in_a = names(Organization.objects.filter(place__path__startswith=a.place.path))
    assert names(selectors.organization_list(actor=a.admin)) == in_a
    assert names(selectors.organization_list(actor=b.admin)) == names(
        Organization.objects.filter(place__path__startswith=b.place.path)
    )
    assert names(selectors.organization_list(actor=world.city_admin)) == names(Organization.objects.all())
    # A street office: its own street (its office, the school there, the committees below).
    assert names(selectors.organization_list(actor=a.street_staff)) == {
        a.street_office.name,
        a.school.name,
        a.committees[0].name,
        a.committees[1].name,
    }
    assert names(selectors.organization_list(actor=a.community_staff)) == {a.committees[0].name}
    for who, own in (
        (a.unit_staff, a.unit),
        (a.team_staff, a.team),
        (a.base_staff, a.base),
        (a.school_staff, a.school),
        (a.expert, a.office),
        (a.resident, a.committees[0]),
    ):
        assert names(selectors.organization_list(actor=who)) == {own.name}, who.role
    assert list(selectors.organization_list(actor=ANONYMOUS)) == []


def test_an_ended_membership_shows_nothing_more(world):
    a = world.a
    member = person(a.unit2, Role.UNIT_STAFF)
    assert names(selectors.organization_list(actor=member)) == {a.unit2.name}
    member.membership.is_active = False
    member.membership.save(update_fields=["is_active"])
    assert list(selectors.organization_list(actor=member)) == []


def test_filters_by_kind_name_and_place(world):
    a = world.a
    city = world.city_admin
    assert names(selectors.organization_list(actor=a.admin, kind=OrgKind.MEMBER_UNIT)) == {a.unit.name, a.unit2.name}
    Organization.objects.filter(pk=a.unit2.pk).update(short_name="区应急管理局")
    assert names(selectors.organization_list(actor=a.admin, q="应急管理")) == {a.unit2.name}  # by its short name
    # Search never widens the scope: district B's unit has the same short name.
    assert names(selectors.organization_list(actor=a.admin, q="卫健委")) == {a.unit.name}
    assert names(selectors.organization_list(actor=city, q="卫健委")) == {a.unit.name, world.b.unit.name}
    street = a.streets[1]
    assert names(selectors.organization_list(actor=city, place_code=street.code)) == {
        a.street2_office.name,
        a.committees[2].name,
        a.committees[3].name,
    }
    assert names(selectors.organization_list(actor=a.admin, place_code=world.b.place.code)) == set()
    rows = list(selectors.organization_list(actor=a.admin))
    assert [o.place.path for o in rows] == sorted(o.place.path for o in rows)  # the tree's order


def test_one_organization_outside_the_scope_is_not_found(world):
    a, b = world.a, world.b
    assert selectors.organization_get(actor=a.admin, pk=a.committees[-1].pk) == a.committees[-1]
    for actor, org in ((a.admin, b.unit), (a.street_staff, a.committees[-1]), (a.unit_staff, a.unit2)):
        with pytest.raises(NotFound):
            selectors.organization_get(actor=actor, pk=org.pk)
        assert not can(actor, OrgAction.VIEW, org)
    with pytest.raises(NotFound):
        selectors.organization_get(actor=a.admin, pk=999999)


def test_by_pk_is_unscoped_for_services_that_checked_already(world):
    assert selectors.organization_by_pk(world.b.unit.pk) == world.b.unit
    assert selectors.organization_by_pk(999999) is None


def test_the_list_takes_a_fixed_number_of_queries(world, django_assert_num_queries):
    with django_assert_num_queries(1):
        rows = [(o.name, o.place.name) for o in selectors.organization_list(actor=world.city_admin)]
    assert len(rows) == Organization.objects.count()
