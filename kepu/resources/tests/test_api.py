"""The API: the public library, writing and reviewing, pushes, subscriptions; refusals for outsiders."""

import pytest

from kepu.accounts.models import User
from kepu.activities.tests.test_views import login
from kepu.resources.models import Push, Resource, Status
from kepu.resources.tests.factories import advance, make_piece, published

pytestmark = pytest.mark.django_db
API = "/api/v1/resources"


def test_the_library_is_open_and_shows_published_pieces_only(client, rworld):
    a = rworld.a
    r = published(a, title="灭火器的使用方法", topics=["safety"])
    advance(make_piece(a.unit_staff, title="灭火器的检查"), a, "editorial_review")
    body = client.get(f"{API}/", {"q": "灭火器"}).json()
    assert [i["id"] for i in body["items"]] == [r.pk] and body["count"] == 1
    assert body["items"][0]["url"] == f"/resources/{r.pk}/"
    detail = client.get(f"{API}/{r.pk}").json()
    assert detail["status"] == "published" and detail["topics"] == ["safety"]
    assert client.get(f"{API}/", {"topic": "health"}).json()["items"] == []


def test_a_unit_writes_and_the_review_runs_through_the_api(client, rworld):
    a = rworld.a
    login(client, a.unit_staff)
    payload = {
        "kind": "article",
        "title": "厨房用火用电安全",
        "body": "炒菜时不离人。",
        "topics": ["safety"],
        "populations": ["elderly"],
        "reading_level": "general",
        "review_field": "safety",
        "author": "李工程师",
        "licence": "cc_by",
    }
    created = client.post(f"{API}/", payload, content_type="application/json")
    assert created.status_code == 201, created.content
    pk = created.json()["id"]
    bad = client.post(f"{API}/", {**payload, "licence": "mine"}, content_type="application/json")
    assert bad.status_code == 400 and "licence" in bad.json()["fields"]
    assert [t["name"] for t in client.get(f"{API}/{pk}/transitions").json()] == ["submit"]
    assert client.post(f"{API}/{pk}/transitions/submit", {}, content_type="application/json").status_code == 200
    login(client, a.admin)
    assign = client.post(
        f"{API}/{pk}/transitions/assign",
        {"data": {"reviewer": a.safety_expert.user.pk}},
        content_type="application/json",
    )
    assert assign.status_code == 200 and assign.json()["status"] == "science_review"
    login(client, a.safety_expert)
    refused = client.post(f"{API}/{pk}/transitions/return", {"reason": ""}, content_type="application/json")
    assert refused.status_code == 400 and refused.json()["code"] == "reason_required"
    assert (
        client.post(f"{API}/{pk}/transitions/approve_science", {}, content_type="application/json").status_code == 200
    )
    login(client, a.admin)
    assert client.post(f"{API}/{pk}/transitions/publish", {}, content_type="application/json").json()["status"] == (
        "published"
    )


def test_review_steps_are_refused_to_people_from_elsewhere(client, rworld):
    a, b = rworld.a, rworld.b
    r = advance(make_piece(a.unit_staff), a, "editorial_review")
    for actor in (b.admin, b.unit_staff, a.resident, a.street_staff):
        login(client, actor)
        assert client.post(f"{API}/{r.pk}/transitions/publish", {}, content_type="application/json").status_code in (
            403,
            404,
        )
        assert client.get(f"{API}/{r.pk}/transitions").status_code == 404
        assert client.get(f"{API}/{r.pk}").status_code == 404
    r.refresh_from_db()
    assert r.status == Status.EDITORIAL_REVIEW


def test_push_through_the_api_and_its_progress(client, rworld, django_capture_on_commit_callbacks):
    a, b = rworld.a, rworld.b
    User.objects.filter(pk=a.resident.user.pk).update(key_population="elderly")
    r = published(a)
    login(client, a.admin)
    with django_capture_on_commit_callbacks(execute=True):
        created = client.post(
            f"{API}/{r.pk}/pushes",
            {"populations": ["elderly"], "places": [a.streets[0].code]},
            content_type="application/json",
        )
    assert created.status_code == 201
    push = client.get(f"{API}/pushes/{created.json()['id']}").json()
    assert push["status"] == "done" and push["sent"] == 1 and push["percent"] == 100
    login(client, b.admin)
    assert client.get(f"{API}/pushes/{push['id']}").status_code == 404
    outside = client.post(
        f"{API}/{r.pk}/pushes", {"populations": ["elderly"], "places": [a.place.code]}, content_type="application/json"
    )
    assert outside.status_code in (400, 403)
    login(client, a.resident)
    assert client.post(
        f"{API}/{r.pk}/pushes", {"populations": ["elderly"], "places": [a.place.code]}, content_type="application/json"
    ).status_code in (403, 404)
    assert Push.objects.count() == 1


def test_subscriptions_and_feed(client, rworld):
    a = rworld.a
    login(client, a.resident)
    assert client.put(f"{API}/subscriptions", {"topics": ["health"]}, content_type="application/json").json() == {
        "topics": ["health"]
    }
    bad = client.put(f"{API}/subscriptions", {"topics": ["gossip"]}, content_type="application/json")
    assert bad.status_code == 400
    r = published(a, topics=["health"], title="流感季如何保护一老一小")
    feed = client.get(f"{API}/feed").json()
    assert feed[0]["resource"]["id"] == r.pk and "subscribed" in feed[0]["reasons"]
    assert Resource.objects.count() == 1
