"""Pages: what each person sees and may do, and refusals for people from elsewhere."""

import pytest
from django.test import Client

from kepu.accounts.models import User
from kepu.resources import services
from kepu.resources.models import Push, Resource, Status
from kepu.resources.tests.factories import MP4_HEAD, VTT, advance, make_piece, piece_data, png, published

pytestmark = pytest.mark.django_db


def client_for(actor) -> Client:
    c = Client()
    c.force_login(actor.user)
    return c


def test_the_library_searches_filters_and_answers_htmx_with_the_results_only(rworld):
    a = rworld.a
    published(a, title="暴雨内涝时如何自救", topics=["safety"])
    published(a, title="高血压患者的日常管理", topics=["health"], populations=["elderly"], review_field="safety")
    c = Client()
    page = c.get("/resources/", {"q": "内涝"}).content.decode()
    assert "暴雨内涝时如何自救" in page and "高血压患者的日常管理" not in page.split('data-testid="results"')[1]
    page = c.get("/resources/", {"topic": "health"}).content.decode()
    assert "高血压患者的日常管理" in page.split('data-testid="results"')[1]
    fragment = c.get("/resources/", {"q": "高血压"}, HTTP_HX_REQUEST="true").content.decode()
    assert fragment.lstrip().startswith('<section id="results"') and "<html" not in fragment


def test_a_unit_writes_uploads_and_submits_on_its_pages(rworld):
    a = rworld.a
    c = client_for(a.unit_staff)
    assert c.get("/resources/manage/new/").status_code == 200
    response = c.post("/resources/manage/new/", piece_data(kind="video"))
    r = Resource.objects.get()
    assert response.status_code == 302 and response["Location"] == f"/resources/manage/{r.pk}/"
    page = c.get(f"/resources/manage/{r.pk}/").content.decode()
    assert 'data-testid="waiting-submit"' in page  # why it cannot be submitted yet
    c.post(f"/resources/manage/{r.pk}/files/", {"role": "media", "upload": _file("v.mp4", MP4_HEAD)})
    c.post(f"/resources/manage/{r.pk}/files/", {"role": "captions", "upload": _file("v.vtt", VTT)})
    bad = c.post(f"/resources/manage/{r.pk}/files/", {"role": "cover", "upload": _file("c.png", png()), "alt": ""})
    assert bad.status_code == 400 and bad.content.decode().count('class="error" role="alert"') == 1
    c.post(f"/resources/manage/{r.pk}/act/submit/")
    r.refresh_from_db()
    assert r.status == Status.SUBMITTED
    # An edit of a submitted piece is refused.
    assert c.get(f"/resources/manage/{r.pk}/edit/").status_code == 404


def _file(name, content):
    from django.core.files.uploadedfile import SimpleUploadedFile

    return SimpleUploadedFile(name, content)


def test_the_review_happens_on_the_review_page(rworld):
    a = rworld.a
    r = advance(make_piece(a.unit_staff), a, "submitted")
    editor = client_for(a.admin)
    page = editor.get(f"/resources/manage/{r.pk}/").content.decode()
    assert 'data-testid="action-assign"' in page and "安全专家a" in page
    assert "医学专家a" not in page and "安全专家b" in page  # not in the piece's field; the district's own first
    assert page.index("安全专家a") < page.index("安全专家b")
    editor.post(f"/resources/manage/{r.pk}/act/assign/", {"assign-reviewer": a.safety_expert.user.pk})
    expert = client_for(a.safety_expert)
    assert 'data-testid="action-approve_science"' in expert.get(f"/resources/manage/{r.pk}/").content.decode()
    response = expert.post(f"/resources/manage/{r.pk}/act/return/", {"return-reason": ""})
    assert response.status_code == 400  # no reason: refused, the page says why
    expert.post(f"/resources/manage/{r.pk}/act/approve_science/", {"approve_science-comment": "准确"})
    editor.post(f"/resources/manage/{r.pk}/act/publish/")
    r.refresh_from_db()
    assert r.status == Status.PUBLISHED


def test_correcting_a_published_piece_opens_the_new_version(rworld):
    a = rworld.a
    r = published(a)
    response = client_for(a.unit_staff).post(f"/resources/manage/{r.pk}/act/correct/")
    new = Resource.objects.get(lineage_id=r.lineage_id, version=2)
    assert response["Location"] == f"/resources/manage/{new.pk}/edit/"


@pytest.mark.parametrize("who", ["resident", "b_admin", "b_unit", "a_street", "a_team"])
def test_review_pages_are_refused_to_people_from_elsewhere(rworld, who):
    a, b = rworld.a, rworld.b
    actor = {
        "resident": a.resident,
        "b_admin": b.admin,
        "b_unit": b.unit_staff,
        "a_street": a.street_staff,
        "a_team": a.team_staff,
    }[who]
    r = advance(make_piece(a.unit_staff), a, "science_review")
    c = client_for(actor)
    expected = 403 if who == "resident" else 404
    assert c.get(f"/resources/manage/{r.pk}/").status_code == expected
    assert c.post(f"/resources/manage/{r.pk}/act/approve_science/").status_code == expected
    assert c.post(f"/resources/manage/{r.pk}/act/return/", {"return-reason": "不行"}).status_code == expected
    assert c.get(f"/resources/manage/{r.pk}/edit/").status_code == expected
    r.refresh_from_db()
    assert r.status == Status.SCIENCE_REVIEW


def test_push_page_and_progress(rworld, django_capture_on_commit_callbacks):
    a = rworld.a
    User.objects.filter(pk=a.resident.user.pk).update(key_population="elderly")
    r = published(a)
    c = client_for(a.street_staff)
    page = c.get(f"/resources/manage/{r.pk}/push/").content.decode()
    assert a.streets[0].name in page and a.streets[1].name not in page  # only the street's own area
    with django_capture_on_commit_callbacks(execute=True):
        response = c.post(
            f"/resources/manage/{r.pk}/push/", {"populations": ["elderly"], "places": [a.streets[0].code]}
        )
    push = Push.objects.get()
    assert response["Location"] == f"/resources/pushes/{push.pk}/"
    fragment = c.get(f"/resources/pushes/{push.pk}/", HTTP_HX_REQUEST="true").content.decode()
    assert 'data-status="done"' in fragment and "hx-trigger" not in fragment  # finished: polling stops
    assert "1 / 1" in fragment.replace("，", " ") or "1" in fragment
    # Elsewhere: refused.
    assert client_for(rworld.b.admin).get(f"/resources/pushes/{push.pk}/").status_code == 404
    assert client_for(rworld.b.admin).get(f"/resources/manage/{r.pk}/push/").status_code == 200
    refused = client_for(rworld.b.admin).post(
        f"/resources/manage/{r.pk}/push/", {"populations": ["elderly"], "places": [a.place.code]}
    )
    assert refused.status_code == 200 and Push.objects.count() == 1  # the form says the place is not theirs
    assert client_for(a.unit_staff).get(f"/resources/manage/{r.pk}/push/").status_code == 403


def test_elder_mode_reading_shows_the_transcript_open_and_the_player_first(rworld):
    a = rworld.a
    r = published(a, kind="audio", transcript="高温天要多喝水。")
    resident = a.resident.user
    User.objects.filter(pk=resident.pk).update(elder_mode=True)
    page = client_for(a.resident).get(f"/resources/{r.pk}/").content.decode()
    assert 'class="elder public"' in page and "res-elder" in page
    assert '<details class="res-transcript" open>' in page and 'data-testid="audio"' in page


def test_subscriptions_page(rworld):
    c = client_for(rworld.a.resident)
    c.post("/resources/subscriptions/", {"topics": ["health", "safety"]})
    assert "checked" in c.get("/resources/subscriptions/").content.decode()
    from kepu.resources.models import Subscription

    assert set(Subscription.objects.values_list("topic", flat=True)) == {"health", "safety"}


def test_the_activity_page_shows_attached_pieces_and_its_organizer_attaches_them(rworld):
    from kepu.activities.tests.factories import published_activity

    a = rworld.a
    activity = published_activity(a.unit_staff)
    r = published(a, title="家庭急救手册")
    organizer = client_for(a.unit_staff)
    manage = organizer.get(f"/activities/manage/{activity.pk}/").content.decode()
    assert f"/resources/attach/?type=activity&amp;id={activity.pk}" in manage
    page = organizer.get("/resources/attach/", {"type": "activity", "id": activity.pk, "q": "急救"}).content.decode()
    assert "家庭急救手册" in page
    organizer.post(
        "/resources/attach/", {"type": "activity", "id": activity.pk, "resource": r.pk, "label": "courseware"}
    )
    public = Client().get(f"/activities/{activity.pk}/").content.decode()
    assert 'data-testid="attached-resources"' in public and "家庭急救手册" in public
    # Someone who does not run the activity cannot attach to it.
    other = client_for(rworld.b.unit_staff)
    assert other.get("/resources/attach/", {"type": "activity", "id": activity.pk}).status_code == 404


def test_figures_for_offices_only(rworld):
    published(rworld.a)
    assert client_for(rworld.a.admin).get("/resources/figures/").status_code == 200
    assert client_for(rworld.a.unit_staff).get("/resources/figures/").status_code == 403
    assert client_for(rworld.a.resident).get("/resources/figures/").status_code == 403


def test_loans_page_lends(rworld):
    a = rworld.a
    kit = published(a, kind="kit", stock="2")
    from datetime import timedelta

    from kepu.core import clock

    day = (clock.now() + timedelta(days=2)).date()
    loan = services.loan_request(
        actor=a.school_staff,
        resource=kit,
        data={"quantity": 1, "wanted_from": day, "wanted_until": day, "purpose": "科学课"},
    )
    lender = client_for(a.unit_staff)
    assert 'data-testid="action-lend"' in lender.get("/resources/loans/").content.decode()
    lender.post(f"/resources/loans/{loan.pk}/act/lend/")
    loan.refresh_from_db()
    assert loan.status == "lent"
    assert client_for(rworld.b.unit_staff).post(f"/resources/loans/{loan.pk}/act/give_back/").status_code == 404


def test_an_order_page_shows_attached_pieces_and_its_parties_attach_them(rworld):
    from kepu.orders.tests.factories import add_order_parties, advance, place_order

    world = add_order_parties(rworld)
    a = world.a
    order = advance(place_order(a.resident), a, "accept")
    r = published(a, title="预防跌倒的五个要点")
    team = client_for(a.team_staff)
    page = team.get(f"/orders/{order.pk}/").content.decode()
    assert f"/resources/attach/?type=order&amp;id={order.pk}" in page
    team.post("/resources/attach/", {"type": "order", "id": order.pk, "resource": r.pk, "label": "courseware"})
    # The resident who asked for the service sees the slides on the order's page, without the button.
    mine = client_for(a.resident).get(f"/orders/{order.pk}/").content.decode()
    section = mine.split('data-testid="attached-resources"')[1].split("</section>")[0]
    assert "预防跌倒的五个要点" in section and "讲座课件" in section
    assert "/resources/attach/?type=order" not in mine
    # Staff of the other district cannot attach to it.
    other = client_for(world.b.team_staff)
    assert other.get("/resources/attach/", {"type": "order", "id": order.pk}).status_code == 404
