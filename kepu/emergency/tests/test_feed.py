"""The warning feed: signed, fresh, never replayed, idempotent on the warning's id."""

import json
from datetime import timedelta

import pytest

from kepu.core import clock
from kepu.emergency import feed
from kepu.emergency.models import Event, EventStatus

URL = "/api/v1/emergency/feed/warnings"


def warning(w, **overrides):
    start = clock.now()
    body = {
        "id": "12379-110115-20260720-001",
        "hazard": "rainstorm",
        "level": "red",
        "places": [w.street1.code, w.street2.code],
        "starts_at": start.isoformat(),
        "expected_end": (start + timedelta(hours=12)).isoformat(),
    }
    body.update(overrides)
    return json.dumps(body).encode()


def post(client, body: bytes, *, stamp=None, signature=None, secret="test-feed-secret"):
    stamp = int(clock.now().timestamp()) if stamp is None else stamp
    headers = {"HTTP_X_KEPU_TIMESTAMP": str(stamp)}
    sig = signature if signature is not None else feed.sign(body, stamp, secret)
    if sig:
        headers["HTTP_X_KEPU_SIGNATURE"] = sig
    return client.post(URL, body, content_type="application/json", **headers)


@pytest.fixture(autouse=True)
def _immediate_commit(monkeypatch, django_capture_on_commit_callbacks):
    from kepu.emergency import services

    receive = services.feed_receive

    def receive_and_commit(**kwargs):
        with django_capture_on_commit_callbacks(execute=True):
            return receive(**kwargs)

    monkeypatch.setattr(services, "feed_receive", receive_and_commit)


def test_a_signed_warning_is_declared_at_once_when_the_pack_is_current(client, eworld):
    w = eworld
    response = post(client, warning(w))
    assert response.status_code == 201, response.content
    event = Event.objects.get(pk=response.json()["event_id"])
    assert event.status == EventStatus.DECLARED and event.source == "feed" and event.organization == w.a.office
    assert event.deliveries.count() > 0


def test_the_same_warning_sent_again_is_the_same_event(client, eworld):
    w = eworld
    first = post(client, warning(w)).json()
    again = post(client, warning(w), stamp=int(clock.now().timestamp()) + 1)
    assert again.status_code == 200 and again.json() == {**first, "created": False}
    assert Event.objects.count() == 1


def test_unsigned_badly_signed_stale_and_replayed_requests_are_refused(client, eworld):
    w = eworld
    body = warning(w)
    unsigned = post(client, body, signature="")
    assert unsigned.status_code == 401 and unsigned.json()["code"] == "feed_unsigned"
    wrong = post(client, body, secret="another-secret")
    assert wrong.status_code == 401 and wrong.json()["code"] == "feed_bad_signature"
    stale = post(client, body, stamp=int(clock.now().timestamp()) - feed.WINDOW - 5)
    assert stale.status_code == 401 and stale.json()["code"] == "feed_stale"
    tampered_stamp = int(clock.now().timestamp())
    sig = feed.sign(body, tampered_stamp)
    tampered = post(client, body.replace(b"red", b"blue"), stamp=tampered_stamp, signature=sig)
    assert tampered.status_code == 401
    assert Event.objects.count() == 0
    ok = post(client, body, stamp=tampered_stamp, signature=sig)
    assert ok.status_code == 201
    replay = post(client, body, stamp=tampered_stamp, signature=sig)
    assert replay.status_code == 409 and replay.json()["code"] == "feed_replayed"
    assert Event.objects.count() == 1


def test_a_warning_whose_pack_is_past_review_waits_for_the_office(client, eworld):
    from kepu.notifications.models import Notification

    w = eworld
    w.pack.review_by = clock.now().date() - timedelta(days=1)
    w.pack.save(update_fields=["review_by"])
    response = post(client, warning(w))
    assert response.status_code == 201
    event = Event.objects.get()
    assert event.status == EventStatus.RECEIVED and not event.deliveries.exists()
    assert Notification.objects.filter(kind="kepu.emergency.received", recipient=w.a.admin.user).exists()
    # Another district's office does not see it; its own office declares it with a reason.
    from kepu.emergency import selectors

    assert list(selectors.event_list(actor=w.b.admin)) == []
    assert list(selectors.event_list(actor=w.a.admin)) == [event]
    assert list(selectors.event_list(actor=w.a.street_staff)) == []  # not declared: the offices' business
    from kepu.core.errors import NotAllowed
    from kepu.emergency import services

    with pytest.raises(NotAllowed):
        services.event_transition(actor=w.b.admin, event=event, action="declare", data={"override_reason": "理由"})
    with pytest.raises(services.PackExpired):
        services.event_transition(actor=w.a.admin, event=event, action="declare", data={})
    event = services.event_transition(
        actor=w.a.admin, event=event, action="declare", data={"override_reason": "预警真实，包内容仍适用"}
    )
    assert event.status == EventStatus.DECLARED and event.override_reason == "预警真实，包内容仍适用"


def test_the_office_may_dismiss_a_received_warning_with_a_reason(client, eworld):
    from kepu.emergency import services

    w = eworld
    w.pack.review_by = clock.now().date() - timedelta(days=1)
    w.pack.save(update_fields=["review_by"])
    post(client, warning(w))
    event = Event.objects.get()
    with pytest.raises(Exception) as exc:
        services.event_transition(actor=w.a.admin, event=event, action="dismiss", reason="")
    assert getattr(exc.value, "code", "") == "reason_required"
    event = services.event_transition(actor=w.a.admin, event=event, action="dismiss", reason="演练数据，误发")
    assert event.status == EventStatus.DISMISSED and not event.deliveries.exists()


def test_unknown_places_or_hazards_are_refused_whole(client, eworld):
    w = eworld
    assert post(client, warning(w, places=["999999"])).status_code == 422
    assert post(client, warning(w, id="x2", hazard="meteor")).status_code == 422
    assert Event.objects.count() == 0
