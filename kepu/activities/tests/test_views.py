"""Pages as people see them: calendar and feed, activity page, sign-up and ticket, organizer pages, scoping."""

import io
from datetime import timedelta

import pytest
from django.urls import reverse
from django.utils import timezone
from icalendar import Calendar
from openpyxl import load_workbook

from kepu.activities import services
from kepu.activities.models import Registration, RegistrationStatus, Session, Theme
from kepu.activities.tests.factories import at_the_door, published_activity
from kepu.core.populations import Population
from kepu.core.roles import Role

pytestmark = pytest.mark.django_db


def login(client, actor):
    from kepu.accounts.middleware import SESSION_KEY

    client.force_login(actor.user)
    session = client.session
    session[SESSION_KEY] = actor.membership.pk
    session.save()
    return client


@pytest.fixture
def calendar_world(world):
    theme = Theme.objects.get(slug="national-science-day")
    a1 = published_activity(
        world.a.unit_staff,
        title="大兴急救讲座",
        theme=theme,
        populations=[Population.ELDERLY],
        topics=["health"],
        summary="学会心肺复苏",
    )
    a2 = published_activity(
        world.b.unit_staff, title="西城航天模型", populations=[Population.YOUTH], topics=["astronomy"], kind="hands_on"
    )
    draft = published_activity(world.a.unit_staff, title="还没发布", publish=False)
    private = published_activity(world.a.unit_staff, title="内部培训", is_public=False)
    return world, a1, a2, draft, private


def test_public_calendar_filters_and_hides_drafts_and_private(client, calendar_world):
    world, a1, a2, draft, private = calendar_world
    body = client.get(reverse("activities:calendar")).content.decode()
    assert "大兴急救讲座" in body and "西城航天模型" in body
    assert "还没发布" not in body and "内部培训" not in body
    for query, expect, refuse in [
        ({"district": world.a.place.code}, a1, a2),
        ({"theme": "national-science-day"}, a1, a2),
        ({"population": "youth"}, a2, a1),
        ({"topic": "health"}, a1, a2),
        ({"kind": "hands_on"}, a2, a1),
        ({"q": "航天"}, a2, a1),
    ]:
        body = client.get(reverse("activities:calendar"), query).content.decode()
        assert expect.title in body and refuse.title not in body, query
    body = client.get(reverse("activities:calendar"), {"from": "nonsense"}).content.decode()
    assert "2026-09-19" in body  # the message about the date format


def test_calendar_htmx_returns_only_results(client, calendar_world):
    response = client.get(
        reverse("activities:calendar"), {"q": "急救"}, HTTP_HX_REQUEST="true", HTTP_HX_TARGET="results"
    )
    body = response.content.decode()
    assert 'id="results"' in body and "<html" not in body


def test_calendar_list_has_no_n_plus_one(client, world, django_assert_max_num_queries):
    for i in range(15):
        published_activity(world.a.unit_staff, title=f"讲座{i}")
    with django_assert_max_num_queries(12):
        client.get(reverse("activities:calendar"))


def test_ical_feed_validates_and_matches_the_filter(client, calendar_world):
    world, a1, a2, *_ = calendar_world
    published_activity(world.a.unit_staff, title="系列课", sessions=3, populations=[Population.ELDERLY])
    response = client.get(reverse("activities:feed"), {"population": "elderly", "district": world.a.place.code})
    assert response["Content-Type"].startswith("text/calendar")
    cal = Calendar.from_ical(response.content)
    events = list(cal.walk("VEVENT"))
    titles = sorted(str(e["SUMMARY"]) for e in events)
    assert titles == ["大兴急救讲座", "系列课", "系列课", "系列课"]
    for e in events:
        assert e["DTSTART"].dt < e["DTEND"].dt and str(e["UID"]).startswith("kepu-session-")
        assert "/activities/" in str(e["URL"])
    assert len({str(e["UID"]) for e in events}) == 4
    # The feed link on the page carries the same filter.
    body = client.get(reverse("activities:calendar"), {"population": "elderly"}).content.decode()
    assert "/activities/feed.ics?population=elderly" in body


def test_activity_page_has_share_tags_and_hidden_ones_are_404(client, calendar_world):
    world, a1, a2, draft, private = calendar_world
    body = client.get(reverse("activities:detail", args=[a1.pk])).content.decode()
    assert '<meta property="og:title" content="大兴急救讲座">' in body
    assert '<meta property="og:description" content="学会心肺复苏">' in body
    assert 'property="og:image" content="http://testserver/static/activities/share.png"' in body
    assert client.get(reverse("activities:detail", args=[draft.pk])).status_code == 404
    assert client.get(reverse("activities:detail", args=[private.pk])).status_code == 404
    # Another district's staff do not see a draft; the organizer does.
    assert login(client, world.b.admin).get(reverse("activities:detail", args=[draft.pk])).status_code == 404
    assert login(client, world.a.unit_staff).get(reverse("activities:detail", args=[draft.pk])).status_code == 200


def test_resident_signs_up_sees_the_qr_and_cancels(client, world):
    a = published_activity(world.a.unit_staff, capacity=1)
    session = a.sessions.get()
    anon = client.post(reverse("activities:signup", args=[session.pk]))
    # A visitor goes to the residents' phone sign-in (never the staff password form), and comes back here.
    assert anon.status_code == 302 and anon["Location"].startswith(reverse("accounts:phone_login"))
    assert anon["Location"].endswith("?next=" + reverse("activities:detail", args=[a.pk]))
    login(client, world.a.resident)
    response = client.post(reverse("activities:signup", args=[session.pk]), {"population": "elderly"}, follow=True)
    reg = Registration.objects.get(user=world.a.resident.user)
    assert reg.status == RegistrationStatus.CONFIRMED and reg.population == "elderly"
    body = response.content.decode()
    assert "<svg" in body and reg.qr_payload in body
    png = client.get(reverse("activities:ticket_png", args=[reg.pk]))
    assert png["Content-Type"] == "image/png" and png.content.startswith(b"\x89PNG")
    # Somebody else's ticket does not exist for another resident.
    other = login(client.__class__(), world.a.neighbour)
    assert other.get(reverse("activities:ticket", args=[reg.pk])).status_code == 404
    assert other.post(reverse("activities:cancel", args=[reg.pk])).status_code == 404
    client.post(reverse("activities:cancel", args=[reg.pk]))
    assert Registration.objects.get(pk=reg.pk).status == RegistrationStatus.CANCELLED


def test_full_session_puts_resident_on_the_waiting_list_with_a_position(client, world):
    a = published_activity(world.a.unit_staff, capacity=1)
    session = a.sessions.get()
    services.registration_create(actor=world.a.neighbour, session=session)
    login(client, world.a.resident)
    body = client.post(reverse("activities:signup", args=[session.pk]), {"population": "other"}, follow=True)
    body = body.content.decode()
    assert "候补" in body and "第 1 位" in body


def test_organizer_creates_publishes_and_checks_in(client, world):
    login(client, world.a.unit_staff)
    start = (timezone.localtime() + timedelta(days=3)).strftime("%Y-%m-%dT%H:%M")
    response = client.post(
        reverse("activities:create"),
        {
            "title": "高血压防治",
            "kind": "lecture",
            "populations": ["elderly"],
            "topics": ["health"],
            "where": "place",
            "district": world.a.place.code,
            "street": world.a.streets[0].code,
            "community": world.a.communities[0].code,
            "address": "社区活动室",
            "starts_at": start,
            "duration_minutes": 90,
            "repeat_weeks": 2,
            "capacity": 30,
            "is_public": "on",
            "offer_hours": 12,
            "description": "<p>讲座<script>x</script></p>",
        },
    )
    assert response.status_code == 302, response.content.decode()[:2000]
    from kepu.activities.models import Activity

    a = Activity.objects.get(title="高血压防治")
    assert a.sessions.count() == 2 and a.description == "<p>讲座</p>" and a.status == "draft"
    assert a.place == world.a.communities[0] and a.address == "社区活动室"
    page = client.get(reverse("activities:manage_detail", args=[a.pk])).content.decode()
    assert 'data-testid="action-submit"' in page and "status ==" not in page
    client.post(reverse("activities:act", args=[a.pk, "submit"]))
    a.refresh_from_db()
    assert a.status == "published"
    reg = services.registration_create(actor=world.a.resident, session=a.sessions.first())
    early = client.post(
        reverse("activities:checkin", args=[a.pk]),
        {"payload": reg.qr_payload, "session": reg.session_id},
        HTTP_HX_REQUEST="true",
    ).content.decode()
    assert "result-bad" in early and "签到将于" in early  # days before the session: not yet
    with at_the_door(reg.session):
        response = client.post(
            reverse("activities:checkin", args=[a.pk]),
            {"payload": reg.qr_payload, "session": reg.session_id},
            HTTP_HX_REQUEST="true",
        )
        assert "已签到" in response.content.decode()
        response = client.post(
            reverse("activities:checkin", args=[a.pk]),
            {"payload": reg.qr_payload, "session": reg.session_id},
        )
        assert "已签到" in response.content.decode() and "result-bad" in response.content.decode()
        client.post(
            reverse("activities:checkin_walk_in", args=[a.pk]),
            {"head_count": 4, "population": "elderly", "session": reg.session_id},
        )
    assert Session.objects.get(pk=reg.session_id).walk_in_count == 4
    body = client.get(
        reverse("activities:checkin", args=[a.pk]), {"session": reg.session_id, "q": reg.name}
    ).content.decode()
    assert reg.name in body
    export = client.get(reverse("activities:checkin_export", args=[a.pk]), {"session": reg.session_id})
    rows = list(load_workbook(io.BytesIO(export.content)).worksheets[0].values)
    assert any(row[0] == reg.ticket_code for row in rows)


def test_organizer_pages_are_refused_to_others(client, world):
    a = published_activity(world.a.unit_staff)
    urls = [
        reverse("activities:manage_detail", args=[a.pk]),
        reverse("activities:checkin", args=[a.pk]),
        reverse("activities:checkin_export", args=[a.pk]),
    ]
    for actor in (world.b.admin, world.a.unit2 and world.a.team_staff, world.a.street_staff):
        login(client, actor)
        for url in urls:
            assert client.get(url).status_code == 404, (actor, url)
        assert client.post(reverse("activities:act", args=[a.pk, "cancel"]), {"cancel-reason": "xx"}).status_code == 404
    login(client, world.a.resident)
    for url in [reverse("activities:manage"), reverse("activities:dashboard"), urls[0]]:
        assert client.get(url).status_code == 403
    assert client.get(reverse("activities:themes")).status_code == 403
    # The district office of the place manages it.
    login(client, world.a.admin)
    for url in urls:
        assert client.get(url).status_code == 200


def test_dashboard_counts_and_excel(client, world):
    a = published_activity(world.a.unit_staff, capacity=5, starts_at=timezone.now() + timedelta(hours=1))
    session = a.sessions.get()
    reg = services.registration_create(actor=world.a.resident, session=session, population=Population.ELDERLY)
    services.check_in(actor=world.a.unit_staff, activity=a, registration=reg)
    services.walk_in_record(actor=world.a.unit_staff, session=session, head_count=3, population=Population.FARMERS)
    services.registration_create(
        actor=world.a.school_staff,
        session=session,
        on_behalf=True,
        name="班级",
        head_count=2,
        population=Population.YOUTH,
    )
    services.delivered_service_record(
        order_id=1,
        place=world.a.communities[0],
        delivered_at=timezone.now(),
        organization=world.a.unit,
        attendance={"elderly": 10},
    )
    services.delivered_service_record(
        order_id=2,
        place=world.a.communities[0],
        delivered_at=timezone.now(),
        organization=world.a.unit,
        attendance={"elderly": 99},
        activity_id=a.pk,
    )
    year = timezone.localdate().year
    q = {"from": f"{year - 1}-01-01", "to": f"{year + 1}-12-31"}
    login(client, world.a.admin)
    body = client.get(reverse("activities:dashboard"), q).content.decode()
    assert 'data-testid="fig-sessions">2<' in body  # one session + one delivered order (the other is that session)
    assert 'data-testid="fig-checked-in">1<' in body
    assert 'data-testid="fig-person-times">14<' in body  # 1 checked in + 3 walk-ins + 10 from the order
    assert "<svg" in body
    wb = load_workbook(io.BytesIO(client.get(reverse("activities:dashboard_xlsx"), q).content))
    rows = list(wb.worksheets[1].iter_rows(values_only=True))
    assert rows[1][0] == a.title and rows[1][5:10] == (1, 3, 1, 3, 4)
    # District B sees none of it.
    login(client, world.b.admin)
    body = client.get(reverse("activities:dashboard"), q).content.decode()
    assert 'data-testid="fig-sessions">0<' in body


def test_theme_overview_for_offices(client, world):
    theme = Theme.objects.get(slug="earth-day")
    published_activity(world.a.unit_staff, theme=theme)
    login(client, world.a.admin)
    body = client.get(reverse("activities:themes"), {"year": timezone.localdate().year}).content.decode()
    assert "世界地球日" in body and "04-22" in body


def test_nav_entries_by_role(world):
    from kepu.core.nav import nav_for

    assert "activities:mine" in [i["name"] for i in nav_for(Role.RESIDENT)]
    assert "activities:dashboard" in [i["name"] for i in nav_for(Role.DISTRICT_ADMIN)]
    assert "activities:dashboard" not in [i["name"] for i in nav_for(Role.RESIDENT)]


def test_a_teacher_books_a_visit_slot_for_a_class(client, world):
    login(client, world.a.base_staff)
    response = client.post(
        reverse("activities:venues"),
        {
            "name": "科技馆展厅",
            "address": "兴华大街 1 号",
            "hours": "1 09:00-11:00\n7 14:00-16:00",
            "slot_minutes": 60,
            "slot_capacity": 40,
        },
    )
    assert response.status_code == 302
    bad = client.post(
        reverse("activities:venues"), {"name": "x", "hours": "Monday morning", "slot_minutes": 60, "slot_capacity": 4}
    )
    assert "2 09:00-12:00" in bad.content.decode()
    from kepu.activities.selectors import venues_for

    venue = venues_for(actor=world.a.base_staff).get(name="科技馆展厅")
    today = timezone.localdate()
    response = client.post(
        reverse("activities:venue_slots", args=[venue.pk]),
        {"first_day": (today + timedelta(days=1)).isoformat(), "last_day": (today + timedelta(days=14)).isoformat()},
    )
    assert response.status_code == 302
    from kepu.activities.models import Activity

    visit = Activity.objects.get(venue=venue)
    assert visit.kind == "visit" and visit.status == "published" and visit.sessions.count() == 8
    # Another base cannot open slots at this venue.
    login(client, world.b.base_staff)
    assert (
        client.post(
            reverse("activities:venue_slots", args=[venue.pk]),
            {"first_day": today.isoformat(), "last_day": today.isoformat()},
        ).status_code
        == 404
    )
    # A teacher books a slot for a class from the public page.
    login(client, world.a.school_staff)
    page = client.get(reverse("activities:detail", args=[visit.pk])).content.decode()
    assert 'data-testid="group-signup"' in page
    slot = visit.sessions.order_by("starts_at").first()
    response = client.post(
        reverse("activities:group_signup", args=[slot.pk]),
        {"name": "五年级一班", "head_count": 38, "population": "youth"},
        follow=True,
    )
    reg = Registration.objects.get(name="五年级一班")
    assert reg.status == RegistrationStatus.CONFIRMED and reg.head_count == 38
    # Residents get no group form and may not post one.
    login(client, world.a.resident)
    page = client.get(reverse("activities:detail", args=[visit.pk])).content.decode()
    assert 'data-testid="group-signup"' not in page
    assert (
        client.post(
            reverse("activities:group_signup", args=[slot.pk]), {"name": "x", "head_count": 2, "population": "youth"}
        ).status_code
        == 403
    )


def test_district_office_turns_review_on_and_others_cannot(client, world):
    login(client, world.a.unit_staff)
    assert client.post(reverse("activities:review_setting"), {"on": "1"}).status_code == 403
    login(client, world.a.admin)
    assert 'data-testid="review-toggle"' in client.get(reverse("activities:manage")).content.decode()
    client.post(reverse("activities:review_setting"), {"on": "1"})
    assert published_activity(world.a.unit_staff).status == "in_review"
    assert published_activity(world.b.unit_staff).status == "published"
    body = client.get(reverse("activities:manage")).content.decode()
    assert "家庭急救讲座" in body  # the one waiting for review is listed


def png_bytes(size=(4, 4)) -> bytes:
    import io

    from PIL import Image

    out = io.BytesIO()
    Image.new("RGB", size, "white").save(out, "PNG")
    return out.getvalue()


def test_report_notes_and_a_photo_of_the_wrong_type(client, world):
    from django.core.files.uploadedfile import SimpleUploadedFile

    a = published_activity(world.a.unit_staff)
    login(client, world.a.unit_staff)
    url = reverse("activities:report", args=[a.pk])
    response = client.post(
        url, {"notes": "到场踊跃", "photo": SimpleUploadedFile("x.exe", b"MZ"), "caption": "x"}, follow=True
    )
    assert a.photos.count() == 0 and "JPEG、PNG 或 WebP" in response.content.decode()
    # A file that only starts like a PNG is no photo either: images are checked by decoding them.
    client.post(url, {"notes": "到场踊跃", "photo": SimpleUploadedFile("p.png", b"\x89PNG\r\n"), "caption": "现场"})
    assert a.photos.count() == 0
    client.post(url, {"notes": "到场踊跃", "photo": SimpleUploadedFile("p.png", png_bytes()), "caption": "现场"})
    assert a.photos.count() == 1 and a.report.notes == "到场踊跃"
    assert a.photos.get().file.name.endswith(".png") and "p.png" not in a.photos.get().file.name
    login(client, world.b.unit_staff)
    assert client.post(url, {"notes": "x"}).status_code == 404


def test_dashboard_breaks_figures_down_by_place_organizer_and_theme(client, world):
    theme = Theme.objects.get(slug="earth-day")
    community = world.a.communities[0]
    a = published_activity(
        world.a.unit_staff, capacity=5, starts_at=timezone.now() + timedelta(hours=1), theme=theme, place=community
    )
    session = a.sessions.get()
    services.walk_in_record(actor=world.a.unit_staff, session=session, head_count=4, population=Population.FARMERS)
    services.delivered_service_record(
        order_id=7, place=community, delivered_at=timezone.now(), organization=world.a.unit, attendance={"elderly": 6}
    )
    year = timezone.localdate().year
    q = {"from": f"{year - 1}-01-01", "to": f"{year + 1}-12-31"}
    street = community.parent
    login(client, world.a.admin)
    by_place = client.get(reverse("activities:dashboard"), {**q, "by": "place"}).content.decode()
    assert f"<td>{street.name}</td><td>2</td><td>1</td><td>0</td><td>0</td><td>10</td>" in by_place
    by_org = client.get(reverse("activities:dashboard"), {**q, "by": "organization"}).content.decode()
    assert f"<td>{world.a.unit.name}</td><td>2</td>" in by_org
    by_theme = client.get(reverse("activities:dashboard"), {**q, "by": "theme"}).content.decode()
    assert "<td>世界地球日</td><td>1</td><td>1</td><td>0</td><td>0</td><td>4</td>" in by_theme
    assert "<td>不属于主题活动</td><td>1</td><td>0</td><td>0</td><td>0</td><td>6</td>" in by_theme
    wb = load_workbook(io.BytesIO(client.get(reverse("activities:dashboard_xlsx"), {**q, "by": "theme"}).content))
    split = list(wb["按主题"].iter_rows(values_only=True))
    assert split[0][0] == "按主题" and sorted(r[-1] for r in split[1:]) == [4, 6]
    # The other district's office sees none of it, in any breakdown.
    login(client, world.b.admin)
    for by in ("place", "organization", "theme"):
        assert street.name not in client.get(reverse("activities:dashboard"), {**q, "by": by}).content.decode()
