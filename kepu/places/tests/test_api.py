"""/api/v1/places/: the tree as public reference data, filtered by parent and level, paged."""

import pytest

from kepu.accounts.services import api_token_create

pytestmark = pytest.mark.django_db


def test_anybody_reads_the_children_of_a_place(client, world):
    body = client.get("/api/v1/places/", {"parent": "110115"}).json()
    assert body["count"] == 2
    assert body["items"] == [
        {"code": s.code, "name": s.name, "level": "street", "path": s.path, "official": True} for s in world.a.streets
    ]
    communities = client.get("/api/v1/places/", {"parent": world.a.streets[0].code}).json()["items"]
    assert [c["code"] for c in communities] == [c.code for c in world.a.communities[:2]]
    assert {c["official"] for c in communities} == {False}


def test_filter_by_level_in_the_trees_order(client, world):
    districts = client.get("/api/v1/places/", {"level": "district"}).json()["items"]
    assert [d["name"] for d in districts] == ["西城区", "大兴区"]  # by path: 110102 before 110115
    everything = client.get("/api/v1/places/").json()
    assert everything["count"] == 1 + 2 * (1 + 2 + 4)  # the city, and per district: itself, 2 streets, 4 communities
    paths = [p["path"] for p in everything["items"]]
    assert paths == sorted(paths) and paths[0] == "110000/"
    assert client.get("/api/v1/places/", {"parent": "999999"}).json() == {"items": [], "count": 0}


def test_a_signed_in_caller_reads_the_same_whole_tree(client, world):
    _token, key = api_token_create(actor=world.a.resident, name="api")
    mine = client.get("/api/v1/places/", {"level": "district"}, HTTP_AUTHORIZATION=f"Bearer {key}").json()
    assert [d["code"] for d in mine["items"]] == ["110102", "110115"]


def test_pages_of_a_hundred(client, world):
    from kepu.places.tests.factories import PlaceFactory

    street = world.a.streets[0]
    for i in range(150):
        PlaceFactory(code=f"{street.code}{i + 100:03d}", name=f"新社区{i}", parent=street)
    first = client.get("/api/v1/places/", {"parent": street.code}).json()
    second = client.get("/api/v1/places/", {"parent": street.code, "page": 2}).json()
    assert first["count"] == 152 and len(first["items"]) == 100 and len(second["items"]) == 52
    assert not {p["code"] for p in first["items"]} & {p["code"] for p in second["items"]}
