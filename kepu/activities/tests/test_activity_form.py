"""Where and when an activity's sign-up is: the venue / place-of-the-tree / online choice, the step-by-step
place picker, the registration window; creating and editing on the web and through the API."""

import json
import re
from datetime import timedelta

import pytest
from django.urls import reverse
from django.utils import timezone

from kepu.activities import services
from kepu.activities.models import Activity
from kepu.activities.services import ActivityError
from kepu.activities.tests.factories import published_activity
from kepu.core.testing.web import login

pytestmark = pytest.mark.django_db


def _checked(page, name):
    return re.findall(rf'<input[^>]*name="{name}"[^>]*value="(\w*)"[^>]*checked', page)


def _local(dt):
    return timezone.localtime(dt).strftime("%Y-%m-%dT%H:%M")


@pytest.fixture
def venue_a(world):
    return services.venue_create(
        actor=world.a.base_staff,
        organization=world.a.base,
        place=world.a.communities[1],
        name="大兴科技馆一号厅",
        address="科技馆路1号",
        opening_hours={"1": [["09:00", "17:00"]]},
    )


def _post(client, **fields):
    start = timezone.now() + timedelta(days=5)
    data = {
        "title": "家庭用药讲座",
        "kind": "lecture",
        "starts_at": _local(start),
        "duration_minutes": 60,
        "repeat_weeks": 1,
        "capacity": 20,
        "offer_hours": 24,
        "is_public": "on",
        **fields,
    }
    return client.post(reverse("activities:create"), data)


def test_at_a_venue_of_the_district(client, world, venue_a):
    login(client, world.a.unit_staff)
    page = client.get(reverse("activities:create")).content.decode()
    assert "大兴科技馆一号厅" in page and 'value="venue"' in page
    response = _post(client, where="venue", venue=venue_a.pk, address="ignored", online_url="https://x.example")
    assert response.status_code == 302
    a = Activity.objects.get()
    assert (a.venue, a.place, a.address, a.online_url) == (venue_a, world.a.communities[1], "科技馆路1号", "")
    assert "大兴科技馆一号厅 · 科技馆路1号" in client.get(reverse("activities:detail", args=[a.pk])).content.decode()


def test_a_venue_of_another_district_is_not_offered_nor_accepted(client, world, venue_a):
    login(client, world.b.unit_staff)
    page = client.get(reverse("activities:create")).content.decode()
    assert "大兴科技馆一号厅" not in page and 'value="venue"' not in page  # no venue in 西城: no venue choice
    response = _post(client, where="venue", venue=venue_a.pk)
    assert response.status_code == 200 and not Activity.objects.exists()
    with pytest.raises(ActivityError) as exc:
        services.activity_create(actor=world.b.unit_staff, organization=world.b.unit, title="x", venue=venue_a)
    assert exc.value.code == "venue_invalid"


def test_at_an_address_picked_step_by_step(client, world):
    login(client, world.a.unit_staff)
    page = client.get(reverse("activities:create")).content.decode()
    # The organizer's own district is the only one offered, already chosen, with its streets listed.
    assert world.a.place.name in page and world.b.place.name not in page and world.a.streets[0].name in page
    step = client.get(
        reverse("activities:place_picker"),
        {"district": world.a.place.code, "street": world.a.streets[1].code},
        HTTP_HX_REQUEST="true",
    ).content.decode()
    assert "<html" not in step and 'id="place-picker"' in step
    community = world.a.streets[1].children.order_by("code").first()
    assert community.name in step and world.a.communities[0].name not in step
    # A street of another district is dropped, and the community with it.
    stray = client.get(
        reverse("activities:place_picker"),
        {"street": world.b.streets[0].code, "community": world.b.communities[0].code},
    ).content.decode()
    assert world.b.streets[0].name not in stray and world.b.communities[0].name not in stray
    response = _post(
        client,
        where="place",
        district=world.a.place.code,
        street=world.a.streets[1].code,
        community=community.code,
        address="活动室二楼",
    )
    assert response.status_code == 302
    a = Activity.objects.get()
    assert (a.place, a.address, a.venue) == (community, "活动室二楼", None)
    assert f"{community.name} · 活动室二楼" in client.get(reverse("activities:detail", args=[a.pk])).content.decode()


def test_an_address_needs_a_place_and_a_street_address(client, world):
    login(client, world.a.unit_staff)
    response = _post(client, where="place", district=world.a.place.code, address="")
    assert "请填写地址" in response.content.decode() and not Activity.objects.exists()
    response = _post(client, where="place", district=world.b.place.code, street=world.b.streets[0].code, address="x")
    # Another district's street is dropped: the activity falls back to the organizer's own district.
    assert response.status_code == 302 and Activity.objects.get().place == world.a.place
    with pytest.raises(ActivityError) as exc:
        services.activity_create(
            actor=world.a.unit_staff, organization=world.a.unit, title="x", place=world.b.communities[0], address="x"
        )
    assert exc.value.code == "place_invalid"


def test_online(client, world):
    login(client, world.a.unit_staff)
    response = _post(client, where="online", online_url="")
    assert "请填写线上链接" in response.content.decode() and not Activity.objects.exists()
    response = _post(client, where="online", online_url="meeting.example/kepu", address="stale", venue="")
    assert response.status_code == 302
    a = Activity.objects.get()
    assert (a.online_url, a.address, a.place, a.is_online) == ("https://meeting.example/kepu", "", world.a.place, True)


def test_the_registration_window(client, world):
    login(client, world.a.unit_staff)
    start = timezone.now() + timedelta(days=5)
    late = _post(
        client,
        where="online",
        online_url="https://m.example",
        starts_at=_local(start),
        registration_opens_at=_local(start + timedelta(hours=1)),
    )
    assert "报名须在第一场开始前开放" in late.content.decode() and not Activity.objects.exists()
    backwards = _post(
        client,
        where="online",
        online_url="https://m.example",
        registration_opens_at=_local(start - timedelta(days=2)),
        registration_closes_at=_local(start - timedelta(days=3)),
    )
    assert "报名截止时间须晚于开始时间" in backwards.content.decode() and not Activity.objects.exists()
    opens = timezone.now() + timedelta(days=1)
    ok = _post(
        client,
        where="online",
        online_url="https://m.example",
        starts_at=_local(start),
        registration_opens_at=_local(opens),
        registration_closes_at=_local(start - timedelta(hours=2)),
    )
    assert ok.status_code == 302
    a = Activity.objects.get()
    assert _local(a.registration_opens_at) == _local(opens)
    services.activity_submit(actor=world.a.unit_staff, activity=a)
    login(client, world.a.resident)
    page = client.get(reverse("activities:detail", args=[a.pk])).content.decode()
    assert 'data-testid="signup-not-yet"' in page and 'data-testid="signup"' not in page


def test_edit_keeps_the_sessions_and_moves_the_place(client, world, venue_a):
    staff = world.a.unit_staff
    activity = published_activity(staff, address="旧址")
    login(client, staff)
    page = client.get(reverse("activities:edit", args=[activity.pk])).content.decode()
    assert 'value="旧址"' in page and 'name="capacity"' not in page and _checked(page, "where") == ["place"]
    response = client.post(
        reverse("activities:edit", args=[activity.pk]),
        {
            "title": "家庭急救讲座（改期）",
            "kind": "lecture",
            "where": "venue",
            "venue": venue_a.pk,
            "offer_hours": 24,
            "is_public": "on",
            "populations": ["elderly"],
        },
    )
    assert response.status_code == 302
    activity.refresh_from_db()
    assert (activity.title, activity.venue, activity.place) == ("家庭急救讲座（改期）", venue_a, venue_a.place)
    session = activity.sessions.get()
    assert session.place_path == venue_a.place.path  # the figures follow the place
    page = client.get(reverse("activities:edit", args=[activity.pk])).content.decode()
    assert _checked(page, "where") == ["venue"]


def test_others_may_not_edit_nor_use_the_picker(client, world):
    activity = published_activity(world.a.unit_staff, address="x")
    for stranger in (
        world.b.unit_staff,
        world.b.admin,
        world.a.unit2_staff if hasattr(world.a, "unit2_staff") else world.a.team_staff,
    ):
        login(client, stranger)
        assert client.get(reverse("activities:edit", args=[activity.pk])).status_code == 404
        assert client.post(reverse("activities:edit", args=[activity.pk]), {"title": "hijacked"}).status_code == 404
        assert client.get(reverse("activities:place_picker"), {"activity": activity.pk}).status_code == 404
    login(client, world.a.resident)
    assert client.get(reverse("activities:place_picker")).status_code == 403
    assert client.get(reverse("activities:edit", args=[activity.pk])).status_code == 403
    activity.refresh_from_db()
    assert activity.title != "hijacked"
    # The district office of the place manages it, and picks within the organizer's district.
    login(client, world.a.admin)
    assert client.get(reverse("activities:edit", args=[activity.pk])).status_code == 200


def test_the_api_takes_place_venue_and_window_and_patches(client, world, venue_a):
    login(client, world.a.unit_staff)
    start = timezone.now() + timedelta(days=4)
    body = {
        "title": "API讲座",
        "place_code": world.a.communities[0].code,
        "address": "活动室",
        "registration_opens_at": (start - timedelta(days=2)).isoformat(),
        "registration_closes_at": (start - timedelta(hours=1)).isoformat(),
        "sessions": [
            {"starts_at": start.isoformat(), "ends_at": (start + timedelta(hours=1)).isoformat(), "capacity": 10}
        ],
    }
    got = client.post("/api/v1/activities/", json.dumps(body), content_type="application/json")
    assert got.status_code == 201, got.content
    data = got.json()
    assert data["place_code"] == world.a.communities[0].code and data["registration_opens_at"]
    pk = data["id"]
    moved = client.patch(
        f"/api/v1/activities/{pk}",
        json.dumps({"venue_id": venue_a.pk, "summary": "新简介"}),
        content_type="application/json",
    )
    assert moved.status_code == 200 and moved.json()["venue_id"] == venue_a.pk
    assert moved.json()["place_code"] == venue_a.place.code and moved.json()["summary"] == "新简介"
    bad = client.patch(
        f"/api/v1/activities/{pk}",
        json.dumps({"registration_opens_at": start.isoformat()}),
        content_type="application/json",
    )
    assert bad.status_code == 400 and bad.json()["code"] == "window_invalid"
    stray = client.patch(
        f"/api/v1/activities/{pk}",
        json.dumps({"place_code": world.b.communities[0].code}),
        content_type="application/json",
    )
    assert stray.status_code == 400 and Activity.objects.get(pk=pk).venue == venue_a

    login(client, world.b.unit_staff)
    assert (
        client.patch(
            f"/api/v1/activities/{pk}", json.dumps({"title": "x"}), content_type="application/json"
        ).status_code
        == 404
    )
    assert Activity.objects.get(pk=pk).title == "API讲座"
