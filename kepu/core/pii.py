"""Personal data (PIPL): encryption at rest, blind indexes, masking, ID-number checks.

ID numbers and phone numbers are stored encrypted with Fernet (AES-128-CBC + HMAC). The
keys come from ``KEPU_PII_KEYS`` (newest first, so a key can be rotated: new writes use
the first, old rows keep decrypting until ``rotate_pii_keys`` re-encrypts them). Exact
look-ups (sign-in by phone, duplicate ID checks) go through a keyed HMAC "blind index",
so the database never holds a value that reveals the number.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import re
from datetime import date
from functools import lru_cache
from pathlib import Path

from cryptography.fernet import Fernet, InvalidToken, MultiFernet
from django.conf import settings
from django.core.exceptions import ImproperlyConfigured, ValidationError
from django.db import models
from django.utils import timezone
from django.utils.translation import gettext_lazy as _


def _derived_key(label: str) -> bytes:
    # Development and tests only: derive stable keys from SECRET_KEY so a fresh checkout works.
    digest = hashlib.sha256(f"kepu-pii:{label}:{settings.SECRET_KEY}".encode()).digest()
    return base64.urlsafe_b64encode(digest)


@lru_cache(maxsize=4)
def _fernet(keys: tuple[str, ...], secret: str) -> MultiFernet:
    if not keys:
        if not settings.KEPU_DEV_KEYS:
            raise ImproperlyConfigured("Set KEPU_PII_KEYS to encrypt personal data.")
        keys = (_derived_key("enc").decode(),)
    return MultiFernet([Fernet(k.encode() if isinstance(k, str) else k) for k in keys])


def fernet() -> MultiFernet:
    return _fernet(tuple(settings.KEPU_PII_KEYS), settings.SECRET_KEY)


def encrypt(value: str) -> str:
    return fernet().encrypt(value.encode()).decode()


def decrypt(token: str) -> str:
    try:
        return fernet().decrypt(token.encode()).decode()
    except InvalidToken as exc:  # a wrong or missing key must never read as empty data
        raise ImproperlyConfigured("Personal data cannot be decrypted with the configured keys.") from exc


def rotate(token: str) -> str:
    """Re-encrypt a token under the newest key."""
    return fernet().rotate(token.encode()).decode()


def blind_index(value: str, purpose: str) -> str:
    """A keyed hash for exact look-ups that reveals nothing without the index key."""
    key = settings.KEPU_PII_INDEX_KEY
    if not key:
        if not settings.KEPU_DEV_KEYS:  # settings refuse to start so; this guards a changed setting
            raise ImproperlyConfigured("Set KEPU_PII_INDEX_KEY to index personal data.")
        key = _derived_key("index").decode()
    key = key.encode()
    return hmac.new(key, f"{purpose}:{value}".encode(), hashlib.sha256).hexdigest()[:40]


#: Every Fernet token starts so (version byte 0x80, base64): plain phones and ID numbers never do.
FERNET_PREFIX = "gAAAAA"


class EncryptedTextField(models.TextField):
    """A text field stored encrypted; the Python value is the plain text.

    Not searchable by value: pair it with a blind-index column for exact look-ups.
    """

    description = "Encrypted text"

    def from_db_value(self, value, expression, connection):
        if value is None or value == "":
            return value
        return decrypt(value)

    def get_prep_value(self, value):
        value = super().get_prep_value(value)
        if value is None or value == "":
            return value
        return encrypt(value)

    def get_db_prep_save(self, value, connection):
        return self.get_prep_value(value)

    # Serialization (dumpdata, loaddata, fixtures) carries the ciphertext, never the plain text: a
    # backup made with ``dumpdata`` is as protected as the database. Loading decrypts it again.
    def value_to_string(self, obj):
        value = self.value_from_object(obj)
        return encrypt(value) if value else value

    def to_python(self, value):
        if isinstance(value, str) and value.startswith(FERNET_PREFIX):
            try:
                return fernet().decrypt(value.encode()).decode()
            except InvalidToken:
                return value
        return value

    def get_db_prep_value(self, value, connection, prepared=False):
        # Look-ups by value cannot work on ciphertext; only saving goes through here.
        return value if prepared else self.get_prep_value(value)


# --- Phones ---------------------------------------------------------------
PHONE_RE = re.compile(r"^1[3-9]\d{9}$")


def normalize_phone(value: str) -> str:
    digits = re.sub(r"[\s\-()（）]", "", value or "")
    if digits.startswith("+86"):
        digits = digits[3:]
    elif digits.startswith("0086"):
        digits = digits[4:]
    if not PHONE_RE.match(digits):
        raise ValidationError(_("Enter a valid mainland mobile number of 11 digits."), code="phone_invalid")
    return digits


def mask_phone(value: str | None) -> str:
    """138****1234."""
    if not value:
        return ""
    if len(value) < 7:
        return "*" * len(value)
    return f"{value[:3]}****{value[-4:]}"


# --- Resident ID numbers (GB 11643) ---------------------------------------------
ID_RE = re.compile(r"^\d{17}[\dX]$")
_ID_WEIGHTS = (7, 9, 10, 5, 8, 4, 2, 1, 6, 3, 7, 9, 10, 5, 8, 4, 2)
_ID_CHECK = "10X98765432"


@lru_cache(maxsize=1)
def _region_prefixes() -> tuple[frozenset[str], frozenset[str]]:
    codes = (Path(__file__).parent / "data" / "region_codes.txt").read_text().split()
    return frozenset(c[:2] for c in codes), frozenset(c[:4] for c in codes)


def id_check_digit(first17: str) -> str:
    return _ID_CHECK[sum(int(d) * w for d, w in zip(first17, _ID_WEIGHTS, strict=False)) % 11]


def normalize_id_number(value: str, *, today: date | None = None) -> str:
    """Validate an 18-digit resident ID number and return it upper-cased.

    Checks the shape, the region (province and prefecture prefixes of GB/T 2260 codes: old
    county codes are kept on issued cards, so the last two region digits are not checked),
    the date of birth, and the ISO 7064 MOD 11-2 check digit.
    """
    v = (value or "").strip().upper()
    if not ID_RE.match(v):
        raise ValidationError(_("An ID number has 18 characters: 17 digits and a digit or X."), code="id_shape")
    provinces, prefectures = _region_prefixes()
    if v[:2] not in provinces or v[:4] not in prefectures:
        raise ValidationError(_("The region code at the start of the ID number does not exist."), code="id_region")
    try:
        born = date(int(v[6:10]), int(v[10:12]), int(v[12:14]))
    except ValueError:
        raise ValidationError(_("The date of birth in the ID number is not a real date."), code="id_date") from None
    if born.year < 1900 or born > (today or timezone.localdate()):
        raise ValidationError(_("The date of birth in the ID number is not a real date."), code="id_date")
    if id_check_digit(v[:17]) != v[17]:
        raise ValidationError(_("The check digit of the ID number is wrong."), code="id_check_digit")
    return v


def mask_id_number(value: str | None) -> str:
    """1101**********1234."""
    if not value:
        return ""
    if len(value) < 8:
        return "*" * len(value)
    return f"{value[:4]}{'*' * (len(value) - 8)}{value[-4:]}"
