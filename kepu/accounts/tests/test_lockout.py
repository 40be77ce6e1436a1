"""Lockouts lock an account, never a city: addresses are slowed softly, read through the trusted proxy."""

import re

import pytest
from axes.models import AccessAttempt, AccessLog
from django.test import Client
from django.urls import reverse

from kepu.accounts.tests.factories import PASSWORD
from kepu.core.messaging import LocmemSmsBackend
from kepu.core.models import RateCounter

pytestmark = pytest.mark.django_db

BEHIND_PROXY = {"KEPU_TRUSTED_PROXY_HEADER": "X-Forwarded-For", "KEPU_TRUSTED_PROXIES": ["127.0.0.1", "::1"]}


def via_proxy(client_address: str) -> Client:
    """A browser at ``client_address`` whose requests all come from the reverse proxy on 127.0.0.1."""
    return Client(REMOTE_ADDR="127.0.0.1", HTTP_X_FORWARDED_FOR=f"{client_address}, 127.0.0.1")


def login(client, username, password):
    return client.post(reverse("accounts:login"), {"username": username, "password": password})


def test_five_typos_by_anyone_behind_the_proxy_lock_nobody_else(settings, world):
    for key, value in BEHIND_PROXY.items():
        setattr(settings, key, value)
    typist = via_proxy("203.0.113.7")
    for i in range(6):
        login(typist, f"someone{i}", "wrong-password")
    # Every other user of the city comes through the same proxy address and still signs in.
    for membership in (world.a.admin, world.b.admin, world.a.street_staff):
        other = via_proxy("198.51.100.20")
        assert login(other, membership.user.username, PASSWORD).status_code == 302
    # The typist's own address too: typos on other names lock no account.
    assert login(typist, world.a.unit_staff.user.username, PASSWORD).status_code == 302


def test_the_account_is_locked_whatever_address_the_attempts_come_from(settings, world):
    for key, value in BEHIND_PROXY.items():
        setattr(settings, key, value)
    user = world.a.admin.user
    for i in range(5):
        login(via_proxy(f"203.0.113.{i + 1}"), user.username, "wrong-password")
    assert login(via_proxy("198.51.100.9"), user.username, PASSWORD).status_code == 429


def test_a_forged_forwarded_header_from_outside_the_proxy_is_not_believed(settings, world):
    from kepu.core.net import client_ip

    for key, value in BEHIND_PROXY.items():
        setattr(settings, key, value)

    class Req:
        META = {"REMOTE_ADDR": "203.0.113.50", "HTTP_X_FORWARDED_FOR": "10.9.9.9"}

    assert client_ip(Req) == "203.0.113.50"
    Req.META = {"REMOTE_ADDR": "127.0.0.1", "HTTP_X_FORWARDED_FOR": "10.9.9.9, 203.0.113.50"}
    assert client_ip(Req) == "203.0.113.50"  # the right-most address the proxy saw, not what the client wrote
    settings.KEPU_TRUSTED_PROXY_HEADER = ""
    assert client_ip(Req) == "127.0.0.1"


def test_an_address_failing_too_often_is_slowed_without_locking_accounts(settings, world):
    settings.KEPU_SIGNIN_FAILURES_PER_ADDRESS = 8
    guesser = Client(REMOTE_ADDR="203.0.113.66")
    for i in range(8):
        login(guesser, f"name{i}", "wrong-password")
    user = world.a.admin.user
    slowed = login(guesser, user.username, PASSWORD)
    assert slowed.status_code == 200 and "_auth_user_id" not in guesser.session
    assert "网络" in slowed.content.decode() or "network" in slowed.content.decode()
    api = guesser.post("/api/v1/auth/token", {"username": user.username, "password": PASSWORD}, "application/json")
    assert api.status_code == 429 and api.json()["code"] == "rate_limited"
    # The account itself is not locked: from elsewhere it signs in.
    assert login(Client(REMOTE_ADDR="198.51.100.1"), user.username, PASSWORD).status_code == 302


def test_a_phone_is_one_account_however_it_is_typed(client, world):
    phone = "15000000061"
    client.post(reverse("accounts:phone_login"), {"phone": phone, "agree": "on"})
    for _ in range(5):
        client.post(reverse("accounts:phone_login"), {"phone": phone, "code": "000000"})
    code = re.search(r"\d{6}", LocmemSmsBackend.outbox[-1].text).group(0)
    for typed in ("+86 150 0000 0061", "150-0000-0061", "0086 15000000061"):
        response = Client().post(reverse("accounts:phone_login"), {"phone": typed, "code": code})
        assert response.status_code == 429, typed
    # axes keeps the blind index, never the number.
    stored = " ".join(f"{a.username} {a.post_data} {a.get_data}" for a in AccessAttempt.objects.all())
    assert "15000000061" not in stored and "0061" not in stored
    assert not AccessLog.objects.exists()


def test_the_api_answers_a_locked_account_with_json(client, world):
    user = world.a.admin.user
    for _ in range(5):
        client.post("/api/v1/auth/token", {"username": user.username, "password": "wrong"}, "application/json")
    response = client.post("/api/v1/auth/token", {"username": user.username, "password": PASSWORD}, "application/json")
    assert response.status_code == 429
    assert response["Content-Type"].startswith("application/json")
    assert response.json()["code"] == "locked_out"


def test_one_address_cannot_send_codes_to_the_whole_city(settings, db):
    settings.KEPU_CODES_PER_ADDRESS = 10
    sender = Client(REMOTE_ADDR="203.0.113.80")
    answers = [
        sender.post("/api/v1/auth/code", {"phone": f"1390000{i:04d}"}, "application/json").status_code
        for i in range(30)
    ]
    assert answers.count(200) == 10 and set(answers[10:]) == {429}
    assert len(LocmemSmsBackend.outbox) == 10
    # Someone else is not held up by it.
    assert (
        Client(REMOTE_ADDR="198.51.100.3")
        .post("/api/v1/auth/code", {"phone": "13911112222"}, "application/json")
        .status_code
        == 200
    )
    assert not RateCounter.objects.filter(key__contains="1391111").exists()  # keys hold no phone number


def test_one_phone_gets_a_few_codes_an_hour_whatever_the_address_or_spelling(settings, db, monkeypatch):
    from datetime import timedelta

    from django.utils import timezone

    settings.KEPU_CODES_PER_PHONE = 3
    start = timezone.now()
    sent = []
    for i, typed in enumerate(["13700001111", "+86 137 0000 1111", "137-0000-1111", "0086 13700001111"]):
        monkeypatch.setattr(timezone, "now", lambda i=i: start + timedelta(minutes=2 * i))
        reply = Client(REMOTE_ADDR=f"203.0.113.{90 + i}").post(
            "/api/v1/auth/code", {"phone": typed}, "application/json"
        )
        sent.append(reply.status_code)
    assert sent == [200, 200, 200, 429]
