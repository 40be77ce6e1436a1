"""An import cannot keep an ID number's holder out: the number stays unconfirmed until the person confirms it, and the
real holder registering with it takes it back (audited, the importing team told)."""

import io

import pytest
from django.urls import reverse

from kepu.accounts.models import Membership
from kepu.core.actor import Actor
from kepu.core.errors import DomainError
from kepu.core.models import AuditEntry
from kepu.core.roles import Role
from kepu.notifications.models import Notification
from kepu.volunteers import imports, services
from kepu.volunteers.models import Volunteer
from kepu.volunteers.tests.factories import make_id_number, register
from kepu.volunteers.tests.test_imports import workbook
from kepu.volunteers.tests.test_views import login

pytestmark = pytest.mark.django_db


def imported(world, id_number: str, phone: str = "15011112222", name: str = "冒名") -> Volunteer:
    row = [name, id_number, phone, "", "", "", "", "", ""]
    result = imports.import_file(actor=world.a.team_staff, kind="volunteers", source=io.BytesIO(workbook([row])))
    assert result.error_count == 0
    return Volunteer.objects.get(real_name=name)


def as_person(volunteer: Volunteer) -> Actor:
    membership = Membership.objects.get(user=volunteer.user, role=Role.VOLUNTEER)
    return Actor(user=volunteer.user, membership=membership)


def test_an_imported_profile_holds_its_id_number_unconfirmed(world):
    v = imported(world, make_id_number(31))
    assert v.id_confirmed_at is None and v.id_index
    own = register(world.b.resident, id_number=make_id_number(32))
    assert own.id_confirmed_at is not None


def test_the_real_holder_registers_and_takes_the_number_back(world):
    squatted = imported(world, make_id_number(33))
    holder = register(world.b.resident, id_number=make_id_number(33))

    assert holder.id_number == make_id_number(33) and holder.id_confirmed_at is not None
    squatted.refresh_from_db()
    assert squatted.id_number == "" and squatted.id_index is None
    assert squatted.real_name == "冒名"  # the profile and its history stay; only the number goes
    entry = AuditEntry.objects.get(action="kepu.volunteers.id_reclaimed")
    assert entry.object_id == str(squatted.pk) and entry.actor == world.b.resident.user
    told = set(Notification.objects.filter(kind="kepu.volunteers.id_reclaimed").values_list("recipient_id", flat=True))
    assert told == {world.a.team_staff.user.pk, squatted.user_id}
    # nobody outside the team or the profile's person is told
    assert world.b.team_staff.user.pk not in told and world.b.resident.user.pk not in told


def test_a_number_its_person_confirmed_stays_theirs(world):
    v = imported(world, make_id_number(34))
    services.volunteer_confirm_id(actor=as_person(v), id_number=make_id_number(34), consent_version="test")
    v.refresh_from_db()
    assert v.id_confirmed_at is not None
    with pytest.raises(DomainError) as exc:
        register(world.b.resident, id_number=make_id_number(34))
    assert exc.value.code == "id_taken"
    v.refresh_from_db()
    assert v.id_number == make_id_number(34)
    assert not AuditEntry.objects.filter(action="kepu.volunteers.id_reclaimed").exists()


def test_confirming_needs_consent_and_a_valid_number_and_changes_nothing_otherwise(world):
    v = imported(world, make_id_number(35))
    person = as_person(v)
    with pytest.raises(DomainError) as exc:
        services.volunteer_confirm_id(actor=person, id_number=make_id_number(35), consent_version="")
    assert exc.value.code == "consent_required"
    with pytest.raises(DomainError):
        services.volunteer_confirm_id(actor=person, id_number="12345", consent_version="test")
    v.refresh_from_db()
    assert v.id_confirmed_at is None and v.id_number == make_id_number(35)


def test_a_person_gives_their_own_number_after_it_was_taken_back(world, client):
    squatted = imported(world, make_id_number(36))
    register(world.b.resident, id_number=make_id_number(36))
    login(client, as_person(squatted))
    page = client.get(reverse("volunteers:me"))
    assert "请确认您的身份证号" in page.content.decode()
    refused = client.post(reverse("volunteers:confirm_id"), {"id_number": make_id_number(36), "agree": "on"})
    assert "该身份证号码已注册" in refused.content.decode()
    done = client.post(reverse("volunteers:confirm_id"), {"id_number": make_id_number(37), "agree": "on"})
    assert done.status_code == 302
    squatted.refresh_from_db()
    assert squatted.id_number == make_id_number(37) and squatted.id_confirmed_at is not None
    assert "请确认您的身份证号" not in client.get(reverse("volunteers:me")).content.decode()


def test_the_confirm_page_is_only_for_a_volunteer_themselves(world, client):
    login(client, world.a.admin)
    assert client.get(reverse("volunteers:confirm_id")).status_code == 404
    client.logout()
    assert client.get(reverse("volunteers:confirm_id")).status_code == 302
