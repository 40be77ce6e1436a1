import pytest

from kepu.accounts.tests.factories import PASSWORD


@pytest.mark.django_db
def test_openapi_document_lists_the_routers(client):
    doc = client.get("/api/v1/openapi.json").json()
    paths = doc["paths"]
    assert "/api/v1/people/me" in paths and "/api/v1/orgs/" in paths and "/api/v1/auth/token" in paths


@pytest.mark.django_db
def test_errors_are_json_with_a_stable_code(client, world):
    assert client.get("/api/v1/people/me").json()["code"] == "unauthenticated"
    bad = client.post(
        "/api/v1/auth/token",
        {"username": world.a.admin.user.username, "password": "nope"},
        content_type="application/json",
    )
    assert bad.status_code == 401 and bad.json()["code"] == "bad_credentials"
    invalid = client.post("/api/v1/auth/token", {"username": 5}, content_type="application/json")
    assert invalid.status_code == 422 and invalid.json()["code"] == "invalid"
    phone = client.post("/api/v1/auth/code", {"phone": "123"}, content_type="application/json")
    assert phone.status_code == 400 and phone.json()["code"] == "phone_invalid"


@pytest.mark.django_db
def test_token_from_password_acts_in_its_role_and_chinese_is_not_escaped(client, world):
    response = client.post(
        "/api/v1/auth/token",
        {"username": world.a.admin.user.username, "password": PASSWORD},
        content_type="application/json",
    )
    body = response.json()
    assert body["role"] == "district_admin"
    me = client.get("/api/v1/people/me", HTTP_AUTHORIZATION=f"Bearer {body['token']}")
    assert me.json()["organization"] == world.a.office.name
    assert "大兴区" in me.content.decode()  # not \\u5927
    assert client.get("/api/v1/people/me", HTTP_AUTHORIZATION="Bearer kp_forged").status_code == 401


@pytest.mark.django_db
def test_residents_get_a_token_from_phone_and_code(client, world):
    import re

    from kepu.core.messaging import LocmemSmsBackend

    phone = world.a.resident.user.phone
    assert client.post("/api/v1/auth/code", {"phone": phone}, content_type="application/json").json() == {"sent": True}
    code = re.search(r"\d{6}", LocmemSmsBackend.outbox[-1].text).group(0)
    body = client.post(
        "/api/v1/auth/code/token", {"phone": phone, "code": code}, content_type="application/json"
    ).json()
    assert body["role"] == "resident"


@pytest.mark.django_db
def test_session_auth_needs_csrf_on_writes(world):
    from django.test import Client

    client = Client(enforce_csrf_checks=True)
    client.force_login(world.a.admin.user)
    assert client.get("/api/v1/people/me").status_code == 200
    assert client.post(f"/api/v1/people/{world.a.resident.user.pk}/phone").status_code == 403


@pytest.mark.django_db
def test_list_endpoints_are_paginated(client, world):
    client.force_login(world.city_admin.user)
    body = client.get("/api/v1/people/?page=1").json()
    assert set(body) == {"items", "count"} and body["count"] >= 20
