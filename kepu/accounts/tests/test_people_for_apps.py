"""Services other apps call for people: bulk creation for imports, and anonymization (PIPL)."""

import pytest
from django.db import connection

from kepu.accounts import services
from kepu.accounts.models import Invitation, Membership, User
from kepu.accounts.selectors import user_ids_by_phone
from kepu.accounts.tests.factories import person
from kepu.core.errors import NotAllowed
from kepu.core.models import AuditEntry
from kepu.core.roles import Role

pytestmark = pytest.mark.django_db


def test_bulk_creation_encrypts_phones_keeps_blind_indexes_and_invites_known_people(world):
    a = world.a
    known = person(a.committees[0], Role.RESIDENT)
    lapsed = person(a.team, Role.VOLUNTEER)
    Membership.objects.filter(pk=lapsed.membership.pk).update(is_active=False)
    people = [
        {"phone": "13700000001", "name": "李雷"},
        {"phone": "13700000002", "name": "韩梅梅"},
        {"phone": known.user.phone, "name": "别的名字"},
        {"phone": lapsed.user.phone, "name": "x"},
    ]

    result = services.people_bulk_create(actor=a.team_staff, organization=a.team, role=Role.VOLUNTEER, people=people)
    ids = result.created

    assert set(ids) == {"13700000001", "13700000002"}
    assert result.invited == {known.user.phone: known.user.pk, lapsed.user.phone: lapsed.user.pk}
    assert User.objects.get(pk=known.user.pk).name == known.user.name  # a known person keeps their account
    # ... and gets no role from the import: they were invited, and join only by accepting.
    assert not Membership.objects.filter(user=known.user, organization=a.team).exists()
    assert not Membership.objects.get(pk=lapsed.membership.pk).is_active
    assert set(Invitation.objects.filter(organization=a.team, status="pending").values_list("user_id", flat=True)) == {
        known.user.pk,
        lapsed.user.pk,
    }
    new = User.objects.get(pk=ids["13700000001"])
    assert (new.name, new.phone, new.is_active, new.has_usable_password()) == ("李雷", "13700000001", True, False)
    assert new.phone_index == services.phone_index("13700000001")
    assert user_ids_by_phone(["13700000002", "13799999999"]) == {"13700000002": ids["13700000002"]}
    with connection.cursor() as cursor:
        cursor.execute("SELECT phone FROM accounts_user WHERE id = %s", [new.pk])
        assert "13700000001" not in cursor.fetchone()[0]
    assert (
        Membership.objects.filter(
            organization=a.team, role=Role.VOLUNTEER, is_active=True, user_id__in=ids.values()
        ).count()
        == 2
    )
    assert AuditEntry.objects.filter(action="kepu.accounts.person.bulk_created").count() == 1


def test_bulk_creation_is_refused_to_another_organization_and_writes_nothing(world):
    before = User.objects.count()
    for actor in (world.b.team_staff, world.a.resident, world.a.unit_staff):
        with pytest.raises(NotAllowed):
            services.people_bulk_create(
                actor=actor,
                organization=world.a.team,
                role=Role.VOLUNTEER,
                people=[{"phone": "13700000009", "name": "王五"}],
            )
    assert User.objects.count() == before


def test_anonymizing_a_person_erases_them_and_closes_the_account(world):
    a = world.a
    p = person(a.team, Role.VOLUNTEER)
    token, _key = services.api_token_create(actor=p, name="mine")

    services.person_anonymize(actor=p, person=p.user)

    u = User.objects.get(pk=p.user.pk)
    assert (u.name, u.phone, u.phone_index, u.username, u.is_active) == ("", "", None, f"anon-{u.pk}", False)
    assert not u.has_usable_password()
    assert not Membership.objects.filter(user=u, is_active=True).exists()
    token.refresh_from_db()
    assert token.revoked_at is not None
    assert services.verify_login_code(phone=p.user.phone, code="000000") is None
    assert AuditEntry.objects.filter(action="kepu.accounts.person.anonymized", object_id=str(u.pk)).count() == 1


def test_only_the_person_or_their_areas_office_may_anonymize(world):
    a, b = world.a, world.b
    p = person(a.committees[0], Role.RESIDENT)
    for actor in (b.admin, a.team_staff, a.resident, a.unit_staff):
        with pytest.raises(NotAllowed):
            services.person_anonymize(actor=actor, person=p.user)
    assert User.objects.get(pk=p.user.pk).is_active
    services.person_anonymize(actor=a.admin, person=p.user)
    assert not User.objects.get(pk=p.user.pk).is_active
