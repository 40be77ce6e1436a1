import pytest
from cryptography.fernet import Fernet
from django.core.management import call_command
from django.db import connection
from django.test import override_settings

from kepu.accounts.models import User
from kepu.volunteers.models import Volunteer
from kepu.volunteers.tests.factories import make_id_number, register

pytestmark = pytest.mark.django_db


def test_rotate_pii_keys_reencrypts_volunteers_and_phones_under_the_new_key(world):
    from kepu.core.pii import _derived_key

    # The world was written with the development key: that is the "old" key being rotated away.
    old, new = _derived_key("enc").decode(), Fernet.generate_key().decode()
    idn = make_id_number(31)
    with override_settings(KEPU_PII_KEYS=[old]):
        User.objects.filter(pk=world.a.resident.user.pk).update(phone="13700009999")
        v = register(world.a.resident, id_number=idn, phone="13700009999")
    with override_settings(KEPU_PII_KEYS=[new, old]):
        call_command("rotate_pii_keys", batch=3)
    with connection.cursor() as cursor:
        cursor.execute("SELECT id_number FROM volunteers_volunteer WHERE id = %s", [v.pk])
        raw = cursor.fetchone()[0]
    assert idn not in raw
    assert Fernet(new.encode()).decrypt(raw.encode()).decode() == idn
    with override_settings(KEPU_PII_KEYS=[new]):  # the old key is gone and everything still reads
        assert Volunteer.objects.get(pk=v.pk).id_number == idn
        assert User.objects.get(pk=world.a.resident.user.pk).phone == "13700009999"
        assert User.objects.get(pk=world.b.admin.user.pk).phone == world.b.admin.user.phone
