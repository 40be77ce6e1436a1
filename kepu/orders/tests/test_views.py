"""Each party's pages: order on the web, dispatch with suggestions, claim, pass on, accept, schedule, deliver, rate."""

from datetime import timedelta

import pytest
from django.urls import reverse
from django.utils import timezone

from kepu.core import clock
from kepu.core.models import AuditEntry
from kepu.orders.models import Order, OrderStatus
from kepu.orders.tests.factories import advance, place_order
from kepu.orders.tests.test_scoping import login

pytestmark = pytest.mark.django_db


def act(client, order, action, **data):
    """Post the step's form as the page does: its fields carry the step's name."""
    return client.post(reverse("orders:act", args=[order.pk, action]), {f"{action}-{k}": v for k, v in data.items()})


def test_the_whole_line_on_the_web(client, oworld):
    a = oworld.a
    login(client, a.resident)
    page = client.get(reverse("orders:create"))
    assert page.status_code == 200 and a.communities[0].name in page.content.decode()
    today = timezone.localdate()
    response = client.post(
        reverse("orders:create"),
        {
            "title": "老年人防跌倒讲座",
            "kind": "health_talk",
            "topic": "health",
            "population": "elderly",
            "expected_audience": 30,
            "place": a.communities[0].code,
            "address": "活动室",
            "preferred_from": today + timedelta(days=2),
            "preferred_to": today + timedelta(days=10),
        },
    )
    order = Order.objects.get()
    assert response.status_code == 302 and response.url == reverse("orders:detail", args=[order.pk])

    login(client, a.community_staff)
    detail = client.get(reverse("orders:detail", args=[order.pk])).content.decode()
    assert "action-dispatch" in detail and "本区该主题的责任单位" in detail
    assert act(client, order, "dispatch", unit_id=a.unit.pk).status_code == 302
    login(client, a.unit_staff)
    assert act(client, order, "claim").status_code == 302
    page = client.get(reverse("orders:detail", args=[order.pk])).content.decode()
    assert "action-pass_on" in page and "action-post_to_pool" in page
    assert act(client, order, "pass_on", to=f"provider:{a.team.pk}").status_code == 302
    login(client, a.team_staff)
    assert act(client, order, "accept").status_code == 302
    start = timezone.localtime() + timedelta(hours=1)
    when = start.strftime("%Y-%m-%dT%H:%M")
    assert (
        act(
            client, order, "schedule", scheduled_for=when, scheduled_place="活动室", scheduled_people="张三"
        ).status_code
        == 302
    )
    delivery = dict(
        attendance_elderly="25",
        volunteers=str(a.volunteer.user.pk),
        **{f"volunteers_hours_{a.volunteer.user.pk}": "1.5"},
    )
    early = act(client, order, "deliver", **delivery)  # before the service begins: refused, with the time
    assert early.status_code == 409 and "开始" in early.content.decode()
    with clock.frozen_at(start + timedelta(hours=2)):
        assert "action-deliver" in client.get(reverse("orders:detail", args=[order.pk])).content.decode()
        assert act(client, order, "deliver", **delivery).status_code == 302
    login(client, a.resident)
    assert act(client, order, "rate", rating="4", comment="不错").status_code == 302
    order.refresh_from_db()
    assert order.status == OrderStatus.RATED and order.rating == 4 and order.attendance == {"elderly": 25}
    # The resident follows it on the stepper, in plain words; the offices keep the full history.
    page = client.get(reverse("orders:detail", args=[order.pk])).content.decode()
    for word in ('data-testid="stepper"', "社区受理", "单位接单", "不错"):
        assert word in page
    for staff_word in ("order-history", "派单", "领单", "本环节时限"):
        assert staff_word not in page
    login(client, a.community_staff)
    assert "order-history" in client.get(reverse("orders:detail", args=[order.pk])).content.decode()


def test_bad_form_input_shows_a_message_and_changes_nothing(client, oworld):
    a = oworld.a
    order = place_order(a.resident)
    login(client, a.community_staff)
    response = act(client, order, "reject", reason="")
    assert response.status_code == 400 and "请说明理由" in response.content.decode()
    assert Order.objects.get(pk=order.pk).status == OrderStatus.SUBMITTED
    login(client, a.resident)
    today = timezone.localdate()
    response = client.post(
        reverse("orders:create"),
        {
            "title": "x",
            "kind": "health_talk",
            "topic": "health",
            "population": "elderly",
            "expected_audience": 30,
            "place": a.communities[0].code,
            "preferred_from": today + timedelta(days=9),
            "preferred_to": today + timedelta(days=2),
        },
    )
    assert response.status_code == 200 and Order.objects.count() == 1


def test_second_grab_on_the_web_says_already_taken_not_an_error_page(client, oworld):
    a = oworld.a
    order = advance(place_order(a.resident), a, "claim")
    from kepu.orders.services import order_transition

    order_transition(actor=a.unit_staff, order=order, action="post_to_pool")
    login(client, a.team2_staff)
    assert act(client, order, "grab").status_code == 302
    login(client, a.team_staff)
    response = client.get(reverse("orders:detail", args=[order.pk]))
    assert response.status_code == 404  # no longer in the pool: not theirs to see
    order2 = advance(place_order(a.resident), a, "dispatch")
    colleague = __import__("kepu.accounts.tests.factories", fromlist=["person"]).person(a.unit, "unit_staff")
    login(client, a.unit_staff)
    act(client, order2, "claim")
    login(client, colleague)
    response = act(client, order2, "claim")
    assert response.status_code == 409
    assert "已被" in response.content.decode() or "already" in response.content.decode()


def test_contact_reveal_is_audited(client, oworld):
    a = oworld.a
    order = place_order(a.resident)
    login(client, a.community_staff)
    response = client.post(reverse("orders:contact", args=[order.pk]))
    assert a.resident.user.phone in response.content.decode()
    assert AuditEntry.objects.filter(action="kepu.orders.contact_viewed").count() == 1


def test_staff_order_for_a_resident_on_the_web(client, oworld):
    a = oworld.a
    login(client, a.community_staff)
    today = timezone.localdate()
    response = client.post(
        reverse("orders:create"),
        {
            "title": "反诈讲座",
            "kind": "lecture",
            "topic": "anti_fraud",
            "population": "elderly",
            "expected_audience": 50,
            "place": a.communities[0].code,
            "contact_name": "孙大妈",
            "contact_phone": "13712345678",
            "preferred_from": today + timedelta(days=2),
            "preferred_to": today + timedelta(days=10),
        },
    )
    assert response.status_code == 302
    order = Order.objects.get()
    assert order.placed_by == a.community_staff.user and order.resident is None


def test_menu_is_public_and_units_publish_on_it(client, oworld):
    assert client.get(reverse("orders:menu")).status_code == 200
    login(client, oworld.a.unit_staff)
    client.post(
        reverse("orders:menu"), {"title": "健康讲座", "kind": "lecture", "topic": "health", "populations": ["elderly"]}
    )
    login(client, oworld.a.resident)
    page = client.get(reverse("orders:menu")).content.decode()
    assert "健康讲座" in page and "?item=" in page
    login(client, oworld.b.resident)
    assert "健康讲座" not in client.get(reverse("orders:menu")).content.decode()


def test_district_office_keeps_the_calendar_and_deadlines(client, oworld):
    login(client, oworld.a.admin)
    assert client.get(reverse("orders:calendar")).status_code == 200
    client.post(reverse("orders:calendar"), {"date": "2026-10-01", "name": "国庆节"})
    client.post(reverse("orders:calendar"), {"dispatch": "2", "claim": "3", "accept": "3", "schedule": "5"})
    from kepu.orders.models import Holiday, StepDeadline

    assert Holiday.objects.get().district == oworld.a.place
    assert StepDeadline.objects.get(step="claim").working_days == 3


def test_inbox_lists_and_opens_notifications(client, oworld):
    a = oworld.a
    place_order(a.resident)
    login(client, a.community_staff)
    page = client.get(reverse("notifications:inbox")).content.decode()
    assert "预防跌倒讲座" in page
    from kepu.notifications.models import Notification

    n = Notification.objects.get(recipient=a.community_staff.user)
    response = client.post(reverse("notifications:open", args=[n.pk]))
    assert response.status_code == 302 and response.url == n.url
    n.refresh_from_db()
    assert n.read_at is not None
    login(client, a.resident)
    assert client.post(reverse("notifications:open", args=[n.pk])).status_code == 404


def _png() -> bytes:
    from io import BytesIO

    from PIL import Image

    buf = BytesIO()
    Image.new("RGB", (2, 2), (0, 90, 0)).save(buf, "PNG")
    return buf.getvalue()


PNG = _png()


def test_delivery_photos_are_optional_and_must_be_images(client, oworld, settings, tmp_path):
    from django.core.files.uploadedfile import SimpleUploadedFile

    settings.MEDIA_ROOT = tmp_path
    a = oworld.a
    order = advance(place_order(a.resident), a, "schedule")
    login(client, a.team_staff)
    bad = act(
        client,
        order,
        "deliver",
        attendance_elderly="5",
        photos=[SimpleUploadedFile("x.png", b"<script>", content_type="image/png")],
    )
    assert bad.status_code == 400 and Order.objects.get(pk=order.pk).status == OrderStatus.SCHEDULED
    ok = act(
        client,
        order,
        "deliver",
        attendance_elderly="5",
        photos=[SimpleUploadedFile("hall.png", PNG, content_type="image/png")],
    )
    assert ok.status_code == 302
    order.refresh_from_db()
    assert order.photos.count() == 1 and order.status == OrderStatus.DELIVERED
    assert "<img" in client.get(reverse("orders:detail", args=[order.pk])).content.decode()


def test_long_lists_page_without_counting(client, oworld):
    a = oworld.a
    for _ in range(27):
        place_order(a.resident)
    login(client, a.admin)
    first = client.get(reverse("orders:list") + "?view=all").content.decode()
    assert "page=2" in first and "page=0" not in first
    second = client.get(reverse("orders:list") + "?view=all&page=2").content.decode()
    assert second.count("order-card") >= 2 and "page=3" not in second


def test_the_order_form_asks_for_whom_starting_from_the_residents_own_group(client, oworld):
    from kepu.accounts.services import person_set_key_population

    a = oworld.a
    login(client, a.resident)
    assert 'value="elderly" selected' not in client.get(reverse("orders:create")).content.decode()
    person_set_key_population(actor=a.resident, person=a.resident.user, key_population="elderly")
    assert 'value="elderly" selected' in client.get(reverse("orders:create")).content.decode()
    login(client, a.community_staff)  # ordering for a resident: the staff's own group means nothing
    person_set_key_population(actor=a.community_staff, person=a.community_staff.user, key_population="officials")
    assert 'value="officials" selected' not in client.get(reverse("orders:create")).content.decode()
