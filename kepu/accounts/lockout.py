"""What django-axes locks, and the soft limits per address beside it.

An account is locked after repeated failures, by the name it signs in with: a staff user name, or
a phone number normalized first (``+86 150 0000 0061`` and ``15000000061`` are one account) and kept
as its blind index, so axes' table never holds a phone number. Addresses are never locked (a
proxy or a school's NAT is many people): past a soft limit of failures an address is asked to wait,
and a correct password from it still works once the window is over.
"""

from __future__ import annotations

from datetime import timedelta

from django.conf import settings
from django.contrib.auth.signals import user_login_failed
from django.core.exceptions import ValidationError
from django.dispatch import receiver

from kepu.core import ratelimit
from kepu.core.net import client_ip
from kepu.core.pii import blind_index, normalize_phone

ADDRESS_WINDOW = timedelta(minutes=15)


def account_key(request, credentials=None) -> str:
    """The name axes counts failures under (``AXES_USERNAME_CALLABLE``)."""
    raw = (credentials or {}).get("username")
    if raw is None and request is not None:
        data = getattr(request, "POST", None) or {}
        raw = data.get("username") or data.get("phone")
    raw = (raw or "").strip()
    try:
        return "phone:" + blind_index(normalize_phone(raw), "phone")[:24]
    except ValidationError:
        return raw.lower()[:100]


def _address_key(request) -> str | None:
    address = client_ip(request) if request is not None else None
    return f"signin-fail:{address}" if address else None


def address_slowed(request) -> bool:
    """Whether this address failed too often lately (checked before trying its credentials)."""
    key = _address_key(request)
    return key is not None and ratelimit.exceeded(
        key, limit=settings.KEPU_SIGNIN_FAILURES_PER_ADDRESS, window=ADDRESS_WINDOW
    )


@receiver(user_login_failed)
def _count_address_failure(sender, credentials=None, request=None, **kwargs):
    key = _address_key(request)
    if key is not None:
        ratelimit.hit(key, limit=settings.KEPU_SIGNIN_FAILURES_PER_ADDRESS, window=ADDRESS_WINDOW)


def code_request_allowed(address: str | None, phone_index: str) -> None:
    """One-time codes: a few per phone and per address an hour (raises ``RateLimited``)."""
    if address:
        ratelimit.require(f"code-addr:{address}", limit=settings.KEPU_CODES_PER_ADDRESS, window=timedelta(hours=1))
    ratelimit.require(f"code-phone:{phone_index[:24]}", limit=settings.KEPU_CODES_PER_PHONE, window=timedelta(hours=1))
