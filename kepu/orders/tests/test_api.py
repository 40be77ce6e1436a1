"""The whole workflow through /api/v1/orders/ with bearer tokens, one per party."""

from datetime import timedelta

import pytest
from django.utils import timezone

from kepu.accounts.services import api_token_create
from kepu.core import clock

pytestmark = pytest.mark.django_db


def bearer(actor):
    _token, key = api_token_create(actor=actor, name="api")
    return {"HTTP_AUTHORIZATION": f"Bearer {key}"}


def post(client, url, body, who):
    return client.post(url, body, content_type="application/json", **who)


def test_the_whole_line_over_the_api(client, oworld):
    a = oworld.a
    resident, community, unit, team = (
        bearer(a.resident),
        bearer(a.community_staff),
        bearer(a.unit_staff),
        bearer(a.team_staff),
    )
    today = timezone.localdate()
    created = post(
        client,
        "/api/v1/orders/",
        {
            "title": "防诈骗讲座",
            "kind": "lecture",
            "topic": "anti_fraud",
            "population": "elderly",
            "place_code": a.communities[0].code,
            "preferred_from": str(today + timedelta(days=2)),
            "preferred_to": str(today + timedelta(days=9)),
        },
        resident,
    )
    assert created.status_code == 201, created.content
    order = created.json()
    assert order["status"] == "submitted" and order["actions"] == ["cancel"]
    assert order["contact_phone"].count("*") == 4
    oid = order["id"]
    ranked = client.get(f"/api/v1/orders/{oid}/suggestions?kind=unit", **community).json()
    assert ranked and ranked[0]["reasons"]
    bad = post(client, f"/api/v1/orders/{oid}/reject", {"reason": ""}, community)
    assert bad.status_code == 400 and bad.json()["code"] == "reason_required"
    step = post(client, f"/api/v1/orders/{oid}/dispatch", {"unit_id": a.unit.pk}, community)
    assert step.status_code == 200 and step.json()["status"] == "dispatched"
    assert post(client, f"/api/v1/orders/{oid}/claim", {}, unit).json()["status"] == "claimed"
    assert post(client, f"/api/v1/orders/{oid}/post_to_pool", {}, unit).json()["in_pool"] is True
    grabbed = post(client, f"/api/v1/orders/{oid}/grab", {}, team)
    assert grabbed.json()["status"] == "accepted"
    again = post(client, f"/api/v1/orders/{oid}/grab", {}, bearer(a.team2_staff))
    assert again.status_code == 404  # out of the pool: no longer visible to the other team
    start = timezone.now() + timedelta(hours=1)
    when = start.isoformat()
    assert (
        post(
            client,
            f"/api/v1/orders/{oid}/schedule",
            {"scheduled_for": when, "scheduled_place": "活动室", "scheduled_people": "2人"},
            team,
        ).json()["status"]
        == "scheduled"
    )
    delivery = {"attendance": {"elderly": 40}, "volunteers": [[a.volunteer.user.pk, 2]]}
    early = post(client, f"/api/v1/orders/{oid}/deliver", delivery, team)
    assert early.status_code == 409 and early.json()["code"] == "too_early"  # the service has not begun
    with clock.frozen_at(start + timedelta(minutes=90)):
        too_long = post(client, f"/api/v1/orders/{oid}/deliver", delivery, team)
        assert too_long.status_code == 400 and too_long.json()["code"] == "hours_before_start"  # 2 h in 1.5 h
    with clock.frozen_at(start + timedelta(hours=3)):
        delivered = post(client, f"/api/v1/orders/{oid}/deliver", delivery, team)
    assert delivered.json()["status"] == "delivered"
    rated = post(client, f"/api/v1/orders/{oid}/rate", {"rating": 5, "comment": "好"}, resident)
    assert rated.json()["status"] == "rated"
    closed = post(client, f"/api/v1/orders/{oid}/close", {}, community).json()
    assert closed["status"] == "closed"
    assert [e["action"] for e in closed["events"]] == [
        "submit",
        "dispatch",
        "claim",
        "post_to_pool",
        "grab",
        "schedule",
        "deliver",
        "rate",
        "close",
    ]
    phone = post(client, f"/api/v1/orders/{oid}/contact", {}, community).json()["phone"]
    assert phone == a.resident.user.phone


def test_a_handed_back_order_answers_202_without_its_details(client, oworld):
    a = oworld.a
    from kepu.orders.tests.factories import advance, place_order

    order = advance(place_order(a.resident), a, "dispatch")
    response = post(client, f"/api/v1/orders/{order.pk}/hand_back", {"reason": "不归我们管"}, bearer(a.unit_staff))
    assert response.status_code == 202 and set(response.json()) == {"id", "number", "status"}


def test_unknown_action_and_bad_body(client, oworld):
    from kepu.orders.tests.factories import place_order

    order = place_order(oworld.a.resident)
    who = bearer(oworld.a.community_staff)
    assert post(client, f"/api/v1/orders/{order.pk}/explode", {}, who).status_code == 404
    assert post(client, f"/api/v1/orders/{order.pk}/rate", {"rating": "x"}, who).status_code == 422


def test_notifications_api_lists_only_ones_own(client, oworld):
    from kepu.orders.tests.factories import place_order

    place_order(oworld.a.resident)
    mine = client.get("/api/v1/notifications/", **bearer(oworld.a.community_staff)).json()["items"]
    assert len(mine) == 1
    nid = mine[0]["id"]
    assert client.get("/api/v1/notifications/", **bearer(oworld.a.resident)).json()["items"] == []
    assert post(client, f"/api/v1/notifications/{nid}/read", {}, bearer(oworld.a.resident)).status_code == 404
    assert post(client, f"/api/v1/notifications/{nid}/read", {}, bearer(oworld.a.community_staff)).json()["read_at"]


def test_order_list_pages_without_counting(client, oworld):
    from kepu.orders.tests.factories import place_order

    for _ in range(51):
        place_order(oworld.a.resident)
    who = bearer(oworld.a.admin)
    first = client.get("/api/v1/orders/?needs_me=false", **who).json()
    assert len(first["items"]) == 50 and first["next_page"] == 2
    second = client.get("/api/v1/orders/?needs_me=false&page=2", **who).json()
    assert len(second["items"]) == 1 and second["next_page"] is None


def test_suggestions_are_for_whoever_chooses(client, oworld):
    from kepu.orders.tests.factories import place_order

    order = place_order(oworld.a.resident)
    assert client.get(f"/api/v1/orders/{order.pk}/suggestions", **bearer(oworld.a.resident)).status_code == 403
    assert client.get(f"/api/v1/orders/{order.pk}/suggestions", **bearer(oworld.a.community_staff)).status_code == 200
    assert (
        client.get(
            f"/api/v1/orders/{order.pk}/suggestions?kind=provider", **bearer(oworld.a.community_staff)
        ).status_code
        == 403
    )
    assert client.get(f"/api/v1/orders/{order.pk}/suggestions", **bearer(oworld.b.admin)).status_code == 404
