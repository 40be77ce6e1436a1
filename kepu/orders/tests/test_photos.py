"""Photos of a delivery: attached when delivering or afterwards, checked, shown only to those who see the order."""

from io import BytesIO

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse
from PIL import Image

from kepu.core.errors import DomainError
from kepu.core.models import AuditEntry
from kepu.orders import services
from kepu.orders.models import Order, OrderEvent, OrderPhoto
from kepu.orders.photos import MAX_PHOTO_BYTES
from kepu.orders.tests.factories import advance, place_order
from kepu.orders.tests.test_scoping import login

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def _media(settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path


def image(name="p.jpg", fmt="JPEG", size=(40, 30)) -> SimpleUploadedFile:
    buf = BytesIO()
    Image.new("RGB", size, (200, 120, 40)).save(buf, fmt)
    return SimpleUploadedFile(name, buf.getvalue(), content_type="image/jpeg")


def deliver_form(**extra):
    return {f"deliver-{k}": v for k, v in {"attendance_elderly": "20", "notes": "顺利", **extra}.items()}


def test_photos_attached_when_delivering_are_shown_to_those_who_see_the_order(client, oworld):
    a, b = oworld.a, oworld.b
    order = advance(place_order(a.resident), a, "schedule")
    login(client, a.team_staff)
    response = client.post(
        reverse("orders:act", args=[order.pk, "deliver"]), deliver_form(photos=[image(), image("q.png", "PNG")])
    )
    assert response.status_code == 302
    photos = list(OrderPhoto.objects.filter(order=order).order_by("pk"))
    assert len(photos) == 2 and photos[1].image.name.endswith(".png") and "q.png" not in photos[1].image.name
    assert OrderEvent.objects.get(order=order, action="deliver").data["photos"] == 2
    url = reverse("orders:photo", args=[order.pk, photos[0].pk])
    for who in (a.resident, a.community_staff, a.unit_staff, a.team_staff, oworld.city_admin):
        login(client, who)
        assert url in client.get(reverse("orders:detail", args=[order.pk])).content.decode()
        got = client.get(url)
        assert got.status_code == 200 and got["Content-Type"] == "image/jpeg"
        assert b"".join(got.streaming_content)[:3] == b"\xff\xd8\xff"
    for who in (b.admin, b.team_staff, a.neighbour, a.unit2_staff):
        login(client, who)
        assert client.get(url).status_code == 404, who
        assert client.get(f"/api/v1/orders/{order.pk}/photos/{photos[0].pk}").status_code == 404, who


def test_a_file_that_is_not_a_photo_is_refused_with_a_clear_message_and_changes_nothing(client, oworld):
    a = oworld.a
    order = advance(place_order(a.resident), a, "schedule")
    login(client, a.team_staff)
    fake = SimpleUploadedFile("photo.jpg", b"\xff\xd8\xff this is not really a JPEG", content_type="image/jpeg")
    response = client.post(reverse("orders:act", args=[order.pk, "deliver"]), deliver_form(photos=[image(), fake]))
    assert response.status_code == 400
    assert "照片须为 JPEG、PNG 或 WebP 图片" in response.content.decode()
    assert Order.objects.get(pk=order.pk).status == "scheduled" and not OrderPhoto.objects.exists()
    big = SimpleUploadedFile("big.png", b"x", content_type="image/png")
    big.size = MAX_PHOTO_BYTES + 1
    with pytest.raises(DomainError) as err:
        services.order_transition(
            actor=a.team_staff, order=order, action="deliver", attendance={"elderly": 3}, photos=[big]
        )
    assert err.value.code == "photo_invalid"


def test_photos_can_be_added_later_by_the_provider_only_and_at_most_six(client, oworld):
    a = oworld.a
    order = advance(place_order(a.resident), a, "deliver")
    login(client, a.team_staff)
    page = client.get(reverse("orders:detail", args=[order.pk])).content.decode()
    assert "action-add-photos" in page
    assert client.post(reverse("orders:photos_add", args=[order.pk]), {"photos": [image()] * 1}).status_code == 302
    assert AuditEntry.objects.filter(action="kepu.orders.photos_added", object_id=str(order.pk)).exists()
    assert OrderEvent.objects.filter(order=order, action="add_photos").exists()
    too_many = client.post(reverse("orders:photos_add", args=[order.pk]), {"photos": [image() for _ in range(6)]})
    assert too_many.status_code == 400 and "最多 6 张" in too_many.content.decode()
    assert OrderPhoto.objects.filter(order=order).count() == 1
    for who in (a.resident, a.unit_staff, a.community_staff):
        login(client, who)
        assert "action-add-photos" not in client.get(reverse("orders:detail", args=[order.pk])).content.decode()
        assert client.post(reverse("orders:photos_add", args=[order.pk]), {"photos": [image()]}).status_code == 403
    login(client, oworld.b.team_staff)
    assert client.post(reverse("orders:photos_add", args=[order.pk]), {"photos": [image()]}).status_code == 404
    assert OrderPhoto.objects.filter(order=order).count() == 1
    # once closed, the record is final
    services.order_transition(actor=a.resident, order=order, action="rate", rating=5)
    services.order_transition(actor=a.community_staff, order=order, action="close")
    login(client, a.team_staff)
    assert client.post(reverse("orders:photos_add", args=[order.pk]), {"photos": [image()]}).status_code == 403


def test_photos_through_the_api(client, oworld):
    a, b = oworld.a, oworld.b
    order = advance(place_order(a.resident), a, "deliver")
    login(client, a.team_staff)
    response = client.post(f"/api/v1/orders/{order.pk}/photos", {"photos": [image(), image("w.webp", "WEBP")]})
    assert response.status_code == 201, response.content
    body = response.json()
    assert len(body) == 2
    detail = client.get(f"/api/v1/orders/{order.pk}").json()
    assert [p["id"] for p in detail["photos"]] == [p["id"] for p in body]
    assert client.get(body[1]["url"])["Content-Type"] == "image/webp"
    bad = client.post(
        f"/api/v1/orders/{order.pk}/photos",
        {"photos": [SimpleUploadedFile("x.png", b"plain text", content_type="image/png")]},
    )
    assert bad.status_code == 400 and bad.json()["code"] == "photo_invalid"
    login(client, a.resident)
    assert client.get(body[0]["url"]).status_code == 200
    assert client.post(f"/api/v1/orders/{order.pk}/photos", {"photos": [image()]}).status_code == 403
    login(client, b.team_staff)
    assert client.post(f"/api/v1/orders/{order.pk}/photos", {"photos": [image()]}).status_code == 404
    assert client.get(body[0]["url"]).status_code == 404
    assert OrderPhoto.objects.filter(order=order).count() == 2
