import pytest
from django.db import DatabaseError, connection, transaction

from kepu.accounts.services import person_reveal_phone
from kepu.core.audit import log_action
from kepu.core.errors import NotAllowed
from kepu.core.models import AuditEntry
from kepu.core.selectors import audit_list


@pytest.mark.django_db
def test_every_full_view_of_a_phone_is_audited(world):
    person = world.a.resident.user
    phone = person_reveal_phone(actor=world.a.admin, person=person)
    assert phone == person.phone
    entry = AuditEntry.objects.get(action="kepu.accounts.person.pii_viewed")
    assert entry.actor_id == world.a.admin.user.pk
    assert entry.object_id == str(person.pk)
    assert entry.place_path == world.a.communities[0].path


@pytest.mark.django_db
def test_who_may_not_see_a_phone_is_refused_and_nothing_is_recorded(world):
    with pytest.raises(NotAllowed):
        person_reveal_phone(actor=world.b.admin, person=world.a.resident.user)
    with pytest.raises(NotAllowed):
        person_reveal_phone(actor=world.a.unit_staff, person=world.a.resident.user)
    assert not AuditEntry.objects.filter(action="kepu.accounts.person.pii_viewed").exists()


@pytest.mark.django_db
def test_the_trail_is_append_only_in_the_orm_and_in_the_database(world):
    entry = log_action(world.a.admin, "kepu.test.done", world.a.unit)
    with pytest.raises(TypeError):
        entry.save()
    with pytest.raises(TypeError):
        entry.delete()
    with pytest.raises(TypeError):
        AuditEntry.objects.filter(pk=entry.pk).update(action="x")
    with pytest.raises(DatabaseError), transaction.atomic(), connection.cursor() as cursor:
        cursor.execute("UPDATE core_auditentry SET action = 'forged' WHERE id = %s", [entry.pk])
    with pytest.raises(DatabaseError), transaction.atomic(), connection.cursor() as cursor:
        cursor.execute("DELETE FROM core_auditentry WHERE id = %s", [entry.pk])
    assert AuditEntry.objects.get(pk=entry.pk).action == "kepu.test.done"


@pytest.mark.django_db
def test_each_office_reads_the_trail_of_its_own_area_only(world):
    log_action(world.a.admin, "kepu.test.a", world.a.unit)
    log_action(world.b.admin, "kepu.test.b", world.b.unit)
    assert [e.action for e in audit_list(actor=world.a.admin)] == ["kepu.test.a"]
    assert [e.action for e in audit_list(actor=world.b.admin)] == ["kepu.test.b"]
    assert {e.action for e in audit_list(actor=world.city_admin)} >= {"kepu.test.a", "kepu.test.b"}
    assert not audit_list(actor=world.a.unit_staff).exists()
    assert not audit_list(actor=world.a.resident).exists()
