"""Creating and changing organizations: who may, where a kind may sit, what the audit trail says."""

import pytest

from kepu.core.errors import DomainError, NotAllowed, NotFound
from kepu.core.models import AuditEntry
from kepu.orgs.models import Organization, OrgKind
from kepu.orgs.services import organization_create, organization_update

pytestmark = pytest.mark.django_db


def test_an_office_creates_an_organization_in_its_area_and_the_trail_says_so(world):
    a = world.a
    org = organization_create(
        actor=a.admin,
        name="  大兴区科技馆二馆 ",
        kind=OrgKind.SCIENCE_BASE,
        place=a.place,
        short_name=" 二馆 ",
        aliases=["科技馆二馆"],
        topics=["astronomy"],
        address="兴华大街1号",
    )
    org.refresh_from_db()
    assert (org.name, org.short_name, org.kind, org.place, org.aliases, org.topics, org.address) == (
        "大兴区科技馆二馆",
        "二馆",
        OrgKind.SCIENCE_BASE,
        a.place,
        ["科技馆二馆"],
        ["astronomy"],
        "兴华大街1号",
    )
    entry = AuditEntry.objects.get(action="kepu.orgs.created")
    assert entry.object_id == str(org.pk) and entry.actor == a.admin.user and entry.role == "district_admin"
    assert entry.place_path == a.place.path  # the district office reads it in its own trail
    # A street office adds a committee for a community in its street; the city anywhere.
    street_org = organization_create(
        actor=a.street_staff, name="新社区居委会", kind=OrgKind.COMMUNITY, place=a.communities[0]
    )
    city_org = organization_create(
        actor=world.city_admin, name="西城区青少年宫", kind=OrgKind.SCHOOL, place=world.b.place
    )
    assert street_org.place == a.communities[0] and city_org.place == world.b.place
    assert AuditEntry.objects.filter(action="kepu.orgs.created").count() == 3


@pytest.mark.parametrize(
    "who", ["unit_staff", "community_staff", "team_staff", "base_staff", "school_staff", "expert", "resident"]
)
def test_roles_without_the_right_may_not_create(world, who):
    with pytest.raises(NotAllowed):
        organization_create(actor=getattr(world.a, who), name="不该有的单位", kind=OrgKind.SCHOOL, place=world.a.place)
    assert not Organization.objects.filter(name="不该有的单位").exists()
    assert not AuditEntry.objects.filter(action="kepu.orgs.created").exists()


def test_offices_may_not_create_outside_their_area(world):
    a, b = world.a, world.b
    with pytest.raises(NotAllowed):
        organization_create(actor=b.admin, name="越界单位", kind=OrgKind.SCHOOL, place=a.place)
    with pytest.raises(NotAllowed):  # street 1's office, a community of street 2
        organization_create(actor=a.street_staff, name="越界居委会", kind=OrgKind.COMMUNITY, place=a.communities[-1])
    with pytest.raises(NotAllowed):  # a street office does not create at its district's level
        organization_create(actor=a.street_staff, name="区级单位", kind=OrgKind.MEMBER_UNIT, place=a.place)
    assert not Organization.objects.filter(name__in=["越界单位", "越界居委会", "区级单位"]).exists()


def test_a_kind_sits_only_at_its_level_and_names_are_unique_per_place(world):
    a = world.a
    with pytest.raises(DomainError) as err:
        organization_create(actor=a.admin, name="放错层的街道办", kind=OrgKind.STREET_OFFICE, place=a.communities[0])
    assert err.value.code == "org_place_level"
    with pytest.raises(DomainError) as err:
        organization_create(actor=a.admin, name=a.unit.name, kind=OrgKind.MEMBER_UNIT, place=a.place)
    assert err.value.code == "org_exists"
    assert Organization.objects.filter(name=a.unit.name).count() == 1
    # The same name in another place is another organization.
    organization_create(actor=world.city_admin, name=a.unit.name, kind=OrgKind.MEMBER_UNIT, place=world.b.place)


def test_a_blank_name_is_refused(world):
    with pytest.raises(DomainError) as err:
        organization_create(actor=world.a.admin, name="   ", kind=OrgKind.SCHOOL, place=world.a.place)
    assert err.value.code == "org_name_required"
    assert not Organization.objects.filter(name="").exists()


def test_the_supervising_organization_must_be_one_the_actor_sees(world):
    a, b = world.a, world.b
    org = organization_create(actor=a.admin, name="区科普联盟", kind=OrgKind.ENTERPRISE, place=a.place, parent=a.office)
    assert org.parent == a.office
    with pytest.raises(NotFound):
        organization_create(actor=a.admin, name="挂错上级", kind=OrgKind.ENTERPRISE, place=a.place, parent=b.office)
    assert not Organization.objects.filter(name="挂错上级").exists()


def test_update_changes_only_what_may_change_and_records_which_fields(world):
    a = world.a
    org = organization_update(
        actor=a.admin, org=a.unit, short_name="卫健委", address="新地址", kind=OrgKind.SCHOOL, place=world.b.place
    )
    org.refresh_from_db()
    assert (org.short_name, org.address, org.kind, org.place) == ("卫健委", "新地址", OrgKind.MEMBER_UNIT, a.place)
    entry = AuditEntry.objects.get(action="kepu.orgs.updated")
    assert entry.data == {"fields": ["address", "short_name"]} and entry.object_id == str(a.unit.pk)
    organization_update(actor=a.admin, org=a.unit, short_name="卫健委")  # nothing changed: nothing recorded
    assert AuditEntry.objects.filter(action="kepu.orgs.updated").count() == 1
    organization_update(actor=a.street_staff, org=a.committees[0], is_active=False)
    assert Organization.objects.get(pk=a.committees[0].pk).is_active is False


def test_who_may_not_change_an_organization(world):
    a, b = world.a, world.b
    for actor, org in (
        (b.admin, a.unit),  # another district
        (a.street_staff, a.committees[-1]),  # a community of the other street
        (a.street_staff, a.street_office),  # an office does not change itself
        (a.admin, a.office),
        (a.unit_staff, a.unit),  # a member unit does not change its own record
        (a.resident, a.committees[0]),
    ):
        with pytest.raises(NotAllowed):
            organization_update(actor=actor, org=org, short_name="改")
    assert not Organization.objects.filter(short_name="改").exists()
    assert not AuditEntry.objects.filter(action="kepu.orgs.updated").exists()


def test_renaming_onto_a_taken_name_is_refused_with_a_message(world):
    a = world.a
    with pytest.raises(DomainError) as err:
        organization_update(actor=a.admin, org=a.unit2, name=a.unit.name)
    assert err.value.code == "org_exists"
    assert Organization.objects.get(pk=a.unit2.pk).name == "大兴区应急局"
    with pytest.raises(DomainError) as err:
        organization_update(actor=a.admin, org=a.unit2, name="  ")
    assert err.value.code == "org_name_required"
    organization_update(actor=a.admin, org=a.unit2, name=" 大兴区应急管理局 ")
    assert Organization.objects.get(pk=a.unit2.pk).name == "大兴区应急管理局"
