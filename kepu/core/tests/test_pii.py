from datetime import date

import pytest
from django.core.exceptions import ValidationError
from django.db import connection
from hypothesis import given
from hypothesis import strategies as st

from kepu.core.pii import (
    blind_index,
    decrypt,
    encrypt,
    id_check_digit,
    mask_id_number,
    mask_phone,
    normalize_id_number,
    normalize_phone,
)


def make_id(region="110101", born="19800101", seq="123"):
    first = f"{region}{born}{seq}"
    return first + id_check_digit(first)


def test_valid_id_numbers_pass_and_x_is_upper_cased():
    assert normalize_id_number(make_id()) == make_id()
    # A real-world shaped number whose check digit is X.
    x_id = next(make_id(seq=f"{n:03d}") for n in range(1000) if make_id(seq=f"{n:03d}").endswith("X"))
    assert normalize_id_number(x_id.lower()) == x_id


@pytest.mark.parametrize(
    "value, code",
    [
        ("11010119800101123", "id_shape"),
        ("1101011980010112345", "id_shape"),
        ("11010119800101123A", "id_shape"),
        (make_id(region="990101"), "id_region"),
        (make_id(region="119901"), "id_region"),
        (make_id(born="19800230"), "id_date"),
        (make_id(born="18800101"), "id_date"),
        (make_id(born="20991231"), "id_date"),
    ],
)
def test_bad_id_numbers_are_refused_with_a_reason(value, code):
    with pytest.raises(ValidationError) as exc:
        normalize_id_number(value, today=date(2026, 11, 23))
    assert exc.value.code == code


def test_a_wrong_check_digit_is_refused():
    good = make_id()
    wrong = good[:17] + ("0" if good[17] != "0" else "1")
    with pytest.raises(ValidationError) as exc:
        normalize_id_number(wrong)
    assert exc.value.code == "id_check_digit"


@given(st.text(alphabet="0123456789", min_size=3, max_size=3))
def test_check_digit_detects_every_single_digit_change(seq):
    good = make_id(seq=seq)
    for pos in range(17):
        for digit in "0123456789":
            if digit == good[pos]:
                continue
            changed = good[:pos] + digit + good[pos + 1 : 17]
            assert id_check_digit(changed) != good[17]


def test_masks():
    assert mask_phone("13812341234") == "138****1234"
    assert mask_id_number("110101198001011234") == "1101**********1234"
    assert mask_phone("") == "" and mask_id_number(None) == ""


def test_phone_normalization():
    assert normalize_phone("+86 138-1234-1234") == "13812341234"
    with pytest.raises(ValidationError):
        normalize_phone("12812341234")


def test_encryption_round_trip_and_rotation(settings):
    from cryptography.fernet import Fernet

    from kepu.core import pii

    old, new = Fernet.generate_key().decode(), Fernet.generate_key().decode()
    settings.KEPU_PII_KEYS = [old]
    token = encrypt("13812341234")
    assert "13812341234" not in token
    settings.KEPU_PII_KEYS = [new, old]  # rotated: the old key still reads
    assert decrypt(token) == "13812341234"
    rotated = pii.rotate(token)
    settings.KEPU_PII_KEYS = [new]
    assert decrypt(rotated) == "13812341234"


def test_blind_index_is_stable_and_keyed(settings):
    a = blind_index("13812341234", "phone")
    assert a == blind_index("13812341234", "phone")
    assert a != blind_index("13812341234", "id")
    settings.KEPU_PII_INDEX_KEY = "another-key"
    assert blind_index("13812341234", "phone") != a


@pytest.mark.django_db
def test_phone_is_encrypted_at_rest():
    from kepu.accounts.tests.factories import UserFactory

    user = UserFactory(phone="13812345678")
    with connection.cursor() as cursor:
        cursor.execute("SELECT phone, phone_index FROM accounts_user WHERE id = %s", [user.pk])
        raw_phone, raw_index = cursor.fetchone()
    assert "13812345678" not in raw_phone and "5678" not in raw_index
    user.refresh_from_db()
    assert user.phone == "13812345678"
    assert user.masked_phone == "138****5678"
