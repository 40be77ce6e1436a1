"""What an organizer sends is checked by the service, for the web and the API alike; uploads are served safely."""

import io

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from PIL import Image

from kepu.accounts.services import api_token_create
from kepu.activities import services
from kepu.activities.models import Activity
from kepu.activities.tests.factories import published_activity
from kepu.core.errors import DomainError
from kepu.core.testing.web import login

pytestmark = pytest.mark.django_db


def png(size=(8, 8)) -> bytes:
    out = io.BytesIO()
    Image.new("1", size).save(out, "PNG")
    return out.getvalue()


@pytest.mark.parametrize(
    "url", ["javascript:alert(document.cookie)", "JaVaScRiPt:alert(1)", "data:text/html,<script>x</script>", "//x"]
)
def test_an_online_link_that_is_not_http_is_refused_through_the_api(client, world, url):
    login(client, world.a.unit_staff)
    created = client.post(
        "/api/v1/activities/",
        {"title": "线上讲座", "online_url": url, "sessions": []},
        content_type="application/json",
    )
    assert created.status_code == 400 and created.json()["code"] == "online_url_invalid"
    activity = published_activity(world.a.unit_staff)
    patched = client.patch(f"/api/v1/activities/{activity.pk}", {"online_url": url}, content_type="application/json")
    assert patched.status_code == 400
    assert Activity.objects.get(pk=activity.pk).online_url == ""


def test_an_http_link_is_kept(world):
    activity = published_activity(world.a.unit_staff)
    services.activity_update(actor=world.a.unit_staff, activity=activity, online_url="https://live.example.cn/x")
    assert Activity.objects.get(pk=activity.pk).online_url == "https://live.example.cn/x"


@pytest.mark.parametrize(
    "name,content",
    [
        ("a.html", b"<html><script>alert(1)</script></html>"),
        ("a.svg", b'<svg xmlns="http://www.w3.org/2000/svg" onload="alert(1)"/>'),
        ("a.png", b"<html><script>alert(1)</script></html>"),  # the name lies
        ("a.png", b"\x89PNG\r\n\x1a\n"),  # the start of a PNG, nothing more
    ],
)
def test_an_activity_image_must_really_be_an_image(world, name, content):
    activity = published_activity(world.a.unit_staff)
    with pytest.raises(DomainError) as exc:
        services.activity_update(actor=world.a.unit_staff, activity=activity, image=SimpleUploadedFile(name, content))
    assert exc.value.code == "image_invalid" and not Activity.objects.get(pk=activity.pk).image


def test_a_144_megapixel_png_of_a_few_kilobytes_is_refused(world):
    bomb = png((12_000, 12_000))
    assert len(bomb) < 100_000
    activity = published_activity(world.a.unit_staff)
    with pytest.raises(DomainError):
        services.activity_update(actor=world.a.unit_staff, activity=activity, image=SimpleUploadedFile("b.png", bomb))


def test_images_are_served_by_the_app_with_their_type_and_nosniff(client, world, settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path
    activity = published_activity(world.a.unit_staff)
    services.activity_update(
        actor=world.a.unit_staff, activity=activity, image=SimpleUploadedFile("我的 图片.PNG", png())
    )
    name = Activity.objects.get(pk=activity.pk).image.name
    assert name.startswith("activities/") and name.endswith(".png") and "图片" not in name
    response = client.get(f"/media/{name}")
    assert response.status_code == 200 and response["Content-Type"] == "image/png"
    assert response["X-Content-Type-Options"] == "nosniff" and "sandbox" in response["Content-Security-Policy"]
    # A draft's image is not public; nor is anything that no activity owns, nor a path that climbs out.
    draft = published_activity(world.a.unit_staff, publish=False)
    services.activity_update(actor=world.a.unit_staff, activity=draft, image=SimpleUploadedFile("d.png", png()))
    hidden = Activity.objects.get(pk=draft.pk).image.name
    assert client.get(f"/media/{hidden}").status_code == 404
    assert login(client, world.a.unit_staff).get(f"/media/{hidden}").status_code == 200
    for path in ("activities/nothing.png", "../kepu.sqlite3", "activities/../../settings.py", "orders/x.jpg"):
        assert client.get(f"/media/{path}").status_code == 404


def test_report_photos_are_for_the_organizer_only(client, world, settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path
    activity = published_activity(world.a.unit_staff)
    photo = services.photo_add(actor=world.a.unit_staff, activity=activity, file=SimpleUploadedFile("p.jpg", png()))
    assert photo.file.name.endswith(".png")  # named after what it is, not what it was called
    assert client.get(f"/media/{photo.file.name}").status_code == 404
    assert login(client, world.b.unit_staff).get(f"/media/{photo.file.name}").status_code == 404
    assert login(client, world.a.unit_staff).get(f"/media/{photo.file.name}").status_code == 200


def test_a_control_character_in_a_title_is_dropped_and_exports_still_work(client, world):
    activity = published_activity(world.a.unit_staff, title="讲座\x07\x1b[31m")
    assert Activity.objects.get(pk=activity.pk).title == "讲座[31m"
    # Rows written before this check still export (the shared writer drops what Excel cannot hold).
    Activity.objects.filter(pk=activity.pk).update(title="旧\x01标题")
    login(client, world.a.unit_staff)
    assert client.get("/activities/dashboard.xlsx").status_code == 200


@pytest.mark.parametrize("hours", [-1, 0, 169, 70000])
def test_offer_hours_must_be_1_to_168(client, world, hours):
    login(client, world.a.unit_staff)
    activity = published_activity(world.a.unit_staff)
    response = client.patch(
        f"/api/v1/activities/{activity.pk}", {"offer_hours": hours}, content_type="application/json"
    )
    assert response.status_code in (400, 422)
    assert Activity.objects.get(pk=activity.pk).offer_hours == 24


def test_an_activity_is_read_with_a_bearer_token(client, world):
    draft = published_activity(world.a.unit_staff, publish=False)
    assert client.get(f"/api/v1/activities/{draft.pk}").status_code == 404
    _token, key = api_token_create(actor=world.a.unit_staff, name="app")
    response = client.get(f"/api/v1/activities/{draft.pk}", HTTP_AUTHORIZATION=f"Bearer {key}")
    assert response.status_code == 200 and response.json()["id"] == draft.pk
    _token, other = api_token_create(actor=world.b.unit_staff, name="app")
    assert client.get(f"/api/v1/activities/{draft.pk}", HTTP_AUTHORIZATION=f"Bearer {other}").status_code == 404


def test_a_check_in_list_that_unpacks_to_gigabytes_is_refused_before_it_is_read(world):
    import zipfile

    activity = published_activity(world.a.unit_staff)
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as zf:
        zf.writestr("xl/sharedStrings.xml", "<sst>" + "<si><t>x</t></si>" * 5_000_000 + "</sst>")
    with pytest.raises(DomainError) as exc:
        services.checkin_sheet_import(actor=world.a.unit_staff, activity=activity, content=out.getvalue())
    assert exc.value.code == "archive_too_large"
