"""The API: public calendar without sign-in, sign-up and tickets, organizer actions, check-in, figures, scoping."""

from datetime import timedelta

import pytest
from django.utils import timezone

from kepu.activities.models import Registration
from kepu.activities.tests.factories import at_the_door, published_activity
from kepu.activities.tests.test_views import login

pytestmark = pytest.mark.django_db
API = "/api/v1/activities"


def test_public_calendar_needs_no_sign_in(client, world):
    a = published_activity(world.a.unit_staff, title="公开讲座")
    published_activity(world.a.unit_staff, title="草稿", publish=False)
    body = client.get(f"{API}/", {"district": world.a.place.code}).json()
    assert [i["title"] for i in body["items"]] == ["公开讲座"]
    detail = client.get(f"{API}/{a.pk}").json()
    assert detail["sessions"][0]["seats_left"] == 10 and detail["populations"] == ["elderly"]
    draft = published_activity(world.a.unit_staff, publish=False)
    assert client.get(f"{API}/{draft.pk}").status_code == 404


def test_sign_up_ticket_cancel_and_scoping(client, world):
    a = published_activity(world.a.unit_staff, capacity=1)
    session = a.sessions.get()
    assert (
        client.post(f"{API}/sessions/{session.pk}/registrations", {}, content_type="application/json").status_code
        == 401
    )
    login(client, world.a.resident)
    r = client.post(
        f"{API}/sessions/{session.pk}/registrations", {"population": "elderly"}, content_type="application/json"
    )
    assert r.status_code == 201 and r.json()["status"] == "confirmed"
    reg_id = r.json()["id"]
    assert r.json()["qr_payload"].startswith("KEPU-TICKET:")
    again = client.post(f"{API}/sessions/{session.pk}/registrations", {}, content_type="application/json")
    assert again.status_code == 409 and again.json()["code"] == "already_registered"
    assert client.get(f"{API}/registrations/mine").json()["count"] == 1
    login(client, world.a.neighbour)
    assert client.get(f"{API}/registrations/{reg_id}").status_code == 404
    assert client.post(f"{API}/registrations/{reg_id}/cancel").status_code == 404
    waiting = client.post(f"{API}/sessions/{session.pk}/registrations", {}, content_type="application/json").json()
    assert waiting["status"] == "waiting" and waiting["qr_payload"] is None
    login(client, world.a.resident)
    assert client.post(f"{API}/registrations/{reg_id}/cancel").json()["status"] == "cancelled"
    login(client, world.a.neighbour)
    assert client.post(f"{API}/registrations/{waiting['id']}/accept").json()["status"] == "confirmed"


def test_organizer_creates_submits_checks_in_and_others_are_refused(client, world):
    login(client, world.a.unit_staff)
    start = timezone.now() + timedelta(days=2)
    r = client.post(
        f"{API}/",
        {
            "title": "接口创建",
            "populations": ["youth"],
            "address": "区图书馆",
            "sessions": [
                {"starts_at": start.isoformat(), "ends_at": (start + timedelta(hours=1)).isoformat(), "capacity": 5}
            ],
        },
        content_type="application/json",
    )
    assert r.status_code == 201, r.content
    activity_id = r.json()["id"]
    bad = client.post(
        f"{API}/", {"title": "x", "populations": ["martians"], "sessions": []}, content_type="application/json"
    )
    assert bad.status_code == 400
    assert client.post(f"{API}/{activity_id}/submit").json()["status"] == "published"
    session_id = r.json()["sessions"][0]["id"]
    group = client.post(
        f"{API}/sessions/{session_id}/registrations",
        {"on_behalf": True, "name": "少年宫", "head_count": 3, "population": "youth"},
        content_type="application/json",
    ).json()
    assert group["status"] == "confirmed" and group["head_count"] == 3
    reg = Registration.objects.get(pk=group["id"])
    for other in (world.b.admin, world.a.resident, world.a.team_staff):
        login(client, other)
        assert (
            client.post(
                f"{API}/{activity_id}/checkin", {"payload": reg.qr_payload}, content_type="application/json"
            ).status_code
            == 404
        )
        assert client.get(f"{API}/{activity_id}/registrations").status_code == 404
    login(client, world.a.unit_staff)
    early = client.post(f"{API}/{activity_id}/checkin", {"payload": reg.qr_payload}, content_type="application/json")
    assert early.status_code == 409 and early.json()["code"] == "checkin_not_open"
    with at_the_door(reg.session):
        done = client.post(f"{API}/{activity_id}/checkin", {"payload": reg.qr_payload}, content_type="application/json")
        assert done.status_code == 200 and done.json()["checked_in_at"]
        twice = client.post(
            f"{API}/{activity_id}/checkin", {"payload": reg.qr_payload}, content_type="application/json"
        )
        assert twice.status_code == 409 and twice.json()["code"] == "already_checked_in"
        w = client.post(
            f"{API}/{activity_id}/walk-ins",
            {"session_id": session_id, "head_count": 2, "population": "youth"},
            content_type="application/json",
        )
        assert w.status_code == 201
    year = timezone.localdate().year
    figs = client.get(f"{API}/figures/summary", {"date_from": f"{year - 1}-01-01", "date_to": f"{year + 1}-12-31"})
    assert figs.json()["by_population"]["youth"] == 5 and figs.json()["person_times"] == 5
    assert (figs.json()["activities"], figs.json()["sessions"]) == (1, 1)
    login(client, world.a.resident)
    assert client.get(f"{API}/figures/summary", {"date_from": "2026-01-01", "date_to": "2026-12-31"}).status_code == 403


def test_review_through_the_api(client, world):
    from kepu.activities import services

    services.district_settings_set(actor=world.a.admin, district=world.a.place, review_required=True)
    a = published_activity(world.a.unit_staff)
    assert a.status == "in_review"
    login(client, world.b.admin)
    assert client.post(f"{API}/{a.pk}/review", {"approve": True}, content_type="application/json").status_code == 404
    login(client, world.a.unit_staff)
    assert client.post(f"{API}/{a.pk}/review", {"approve": True}, content_type="application/json").status_code == 403
    login(client, world.a.admin)
    r = client.post(f"{API}/{a.pk}/review", {"approve": True}, content_type="application/json")
    assert r.json()["status"] == "published"
