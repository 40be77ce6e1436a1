import pytest

from kepu.accounts.models import Membership
from kepu.accounts.selectors import person_list
from kepu.accounts.services import membership_create, membership_end, staff_create
from kepu.accounts.tests.factories import UserFactory
from kepu.core.errors import DomainError, NotAllowed
from kepu.core.models import AuditEntry
from kepu.core.roles import Role


@pytest.mark.django_db
def test_a_district_office_appoints_staff_in_its_area_only(world):
    user = UserFactory()
    m = membership_create(actor=world.a.admin, user=user, organization=world.a.unit, role=Role.UNIT_STAFF)
    assert m.is_active and AuditEntry.objects.filter(action="kepu.accounts.membership.created").exists()
    with pytest.raises(NotAllowed):
        membership_create(actor=world.a.admin, user=user, organization=world.b.unit, role=Role.UNIT_STAFF)
    with pytest.raises(NotAllowed):  # not to its own rank
        membership_create(actor=world.a.admin, user=user, organization=world.a.office, role=Role.DISTRICT_ADMIN)
    with pytest.raises(DomainError) as exc:
        membership_create(actor=world.a.admin, user=user, organization=world.a.team, role=Role.UNIT_STAFF)
    assert exc.value.code == "role_kind"
    with pytest.raises(NotAllowed):
        membership_end(actor=world.a.resident, membership=m)
    membership_end(actor=world.a.admin, membership=m)
    assert not Membership.objects.get(pk=m.pk).is_active


@pytest.mark.django_db
def test_an_organization_manages_its_own_members(world):
    user = UserFactory()
    membership_create(actor=world.a.team_staff, user=user, organization=world.a.team, role=Role.VOLUNTEER)
    with pytest.raises(NotAllowed):
        membership_create(actor=world.a.team_staff, user=user, organization=world.a.base, role=Role.BASE_STAFF)


@pytest.mark.django_db
def test_staff_accounts_need_a_strong_password_and_a_fitting_role(world):
    with pytest.raises(DomainError) as exc:
        staff_create(
            actor=world.a.admin,
            username="new.one",
            name="新人",
            password="123",
            organization=world.a.unit,
            role=Role.UNIT_STAFF,
        )
    assert exc.value.code == "password_weak"
    user = staff_create(
        actor=world.a.admin,
        username="new.one",
        name="新人",
        password="a-long-enough-passphrase",
        organization=world.a.unit,
        role=Role.UNIT_STAFF,
        phone="13911112222",
    )
    assert user.check_password("a-long-enough-passphrase") and user.phone == "13911112222"
    with pytest.raises(DomainError) as exc:
        staff_create(
            actor=world.a.admin,
            username="new.one",
            name="重名",
            password="a-long-enough-passphrase",
            organization=world.a.unit,
            role=Role.UNIT_STAFF,
        )
    assert exc.value.code == "user_exists"


@pytest.mark.django_db
def test_people_list_has_no_n_plus_one(world, django_assert_max_num_queries):
    from kepu.accounts.tests.factories import MembershipFactory

    for _ in range(30):
        MembershipFactory(organization=world.a.committees[0], role=Role.RESIDENT)
    with django_assert_max_num_queries(3):
        rows = [
            (p.name, p.masked_phone, [m.organization.name for m in p.visible_memberships])
            for p in person_list(actor=world.a.admin)[:50]
        ]
    assert len(rows) >= 30


@pytest.mark.django_db
def test_list_pages_query_counts_do_not_grow_with_rows(client, world, django_assert_max_num_queries):
    from kepu.accounts.tests.factories import MembershipFactory

    client.force_login(world.a.admin.user)
    for url in ("/accounts/people/", "/orgs/"):
        client.get(url)
        with django_assert_max_num_queries(14):
            client.get(url)
    for _ in range(25):
        MembershipFactory(organization=world.a.committees[0], role=Role.RESIDENT)
    with django_assert_max_num_queries(14):
        assert client.get("/accounts/people/").status_code == 200
