"""/api/v1/notifications/: the caller's own inbox; marking one read; another's is not found."""

import pytest

from kepu.accounts.services import api_token_create
from kepu.notifications.models import Notification
from kepu.notifications.services import notify

pytestmark = pytest.mark.django_db


def bearer(actor):
    _token, key = api_token_create(actor=actor, name="api")
    return {"HTTP_AUTHORIZATION": f"Bearer {key}"}


def test_the_caller_reads_their_inbox_and_marks_one_read(client, world):
    a = world.a
    first = notify([a.resident.user], title="一", body="正文", url="/orders/1/", kind="kepu.orders.dispatched")[0]
    notify([a.resident.user], title="二")
    notify([a.neighbour.user], title="邻居的")
    me = bearer(a.resident)
    body = client.get("/api/v1/notifications/", **me).json()
    assert body["count"] == 2 and [n["title"] for n in body["items"]] == ["二", "一"]
    item = body["items"][1]
    assert (item["id"], item["kind"], item["body"], item["url"], item["read_at"]) == (
        first.pk,
        "kepu.orders.dispatched",
        "正文",
        "/orders/1/",
        None,
    )
    marked = client.post(f"/api/v1/notifications/{first.pk}/read", **me)
    assert marked.status_code == 200 and marked.json()["read_at"] is not None
    again = client.post(f"/api/v1/notifications/{first.pk}/read", **me).json()
    assert again["read_at"] == marked.json()["read_at"]  # the first reading stands
    unread = client.get("/api/v1/notifications/", {"unread": "true"}, **me).json()
    assert [n["title"] for n in unread["items"]] == ["二"]


def test_someone_elses_notification_is_not_found(client, world):
    a = world.a
    (theirs,) = notify([a.neighbour.user], title="邻居的")
    for actor in (a.resident, a.admin, world.city_admin):
        response = client.post(f"/api/v1/notifications/{theirs.pk}/read", **bearer(actor))
        assert response.status_code == 404 and response.json()["code"] == "not_found"
        assert client.get("/api/v1/notifications/", **bearer(actor)).json()["items"] == []
    assert Notification.objects.get(pk=theirs.pk).read_at is None


def test_anonymous_callers_must_authenticate(client, world):
    (message,) = notify([world.a.resident.user], title="x")
    assert client.get("/api/v1/notifications/").status_code == 401
    response = client.post(f"/api/v1/notifications/{message.pk}/read")
    assert response.status_code == 401 and response.json()["code"] == "unauthenticated"
    assert Notification.objects.get(pk=message.pk).read_at is None
