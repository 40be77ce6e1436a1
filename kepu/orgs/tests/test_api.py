"""/api/v1/orgs/: the same scope as the pages, one organization outside it is not found."""

import pytest

from kepu.accounts.services import api_token_create

pytestmark = pytest.mark.django_db


def bearer(actor):
    _token, key = api_token_create(actor=actor, name="api")
    return {"HTTP_AUTHORIZATION": f"Bearer {key}"}


def test_an_office_lists_its_area_with_filters(client, world):
    a, b = world.a, world.b
    body = client.get("/api/v1/orgs/", **bearer(a.admin)).json()
    names = {o["name"] for o in body["items"]}
    assert a.unit.name in names and a.committees[-1].name in names
    assert b.unit.name not in names and body["count"] == len(names)
    units = client.get("/api/v1/orgs/", {"kind": "member_unit"}, **bearer(a.admin)).json()["items"]
    assert {o["name"] for o in units} == {a.unit.name, a.unit2.name}
    found = client.get("/api/v1/orgs/", {"q": "卫健委"}, **bearer(a.admin)).json()["items"]
    assert found == [
        {
            "id": a.unit.pk,
            "name": a.unit.name,
            "short_name": "区卫健委",
            "kind": "member_unit",
            "place_code": a.place.code,
            "place_name": "大兴区",
        }
    ]
    street = client.get("/api/v1/orgs/", {"place": a.streets[0].code}, **bearer(a.admin)).json()["items"]
    assert {o["name"] for o in street} == {
        a.street_office.name,
        a.school.name,
        a.committees[0].name,
        a.committees[1].name,
    }


def test_one_organization(client, world):
    a = world.a
    got = client.get(f"/api/v1/orgs/{a.team.pk}", **bearer(a.admin))
    assert got.status_code == 200 and got.json()["name"] == a.team.name and got.json()["place_code"] == "110115"


def test_another_districts_or_organizations_record_is_not_found(client, world):
    a, b = world.a, world.b
    for actor, org in ((a.admin, b.unit), (a.unit_staff, a.unit2), (a.street_staff, a.committees[-1])):
        got = client.get(f"/api/v1/orgs/{org.pk}", **bearer(actor))
        assert got.status_code == 404 and got.json()["code"] == "not_found"
    listed = client.get("/api/v1/orgs/", {"q": b.unit.name}, **bearer(a.admin)).json()
    assert listed["count"] == 0 and listed["items"] == []


def test_a_resident_sees_only_their_own_committee(client, world):
    a = world.a
    body = client.get("/api/v1/orgs/", **bearer(a.resident)).json()
    assert [o["name"] for o in body["items"]] == [a.committees[0].name]
    assert client.get(f"/api/v1/orgs/{a.unit.pk}", **bearer(a.resident)).status_code == 404


def test_anonymous_callers_must_authenticate(client, world):
    assert client.get("/api/v1/orgs/").status_code == 401
    got = client.get(f"/api/v1/orgs/{world.a.unit.pk}")
    assert got.status_code == 401 and got.json()["code"] == "unauthenticated"
    bad = client.get("/api/v1/orgs/", HTTP_AUTHORIZATION="Bearer kp_not-a-token")
    assert bad.status_code == 401
