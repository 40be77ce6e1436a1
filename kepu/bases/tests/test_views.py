"""The pages and the API: what the public sees, what each party may do, and who is refused."""

import io
import json
import re
from datetime import datetime, time, timedelta

import pytest
from django.test import Client
from django.utils import timezone
from pypdf import PdfReader

from kepu.activities import services as activities
from kepu.bases import certificates, services
from kepu.bases.models import Application, Base
from kepu.bases.tests.factories import advance, base_for, certified_base, start
from kepu.core import clock
from kepu.core.testing.web import login

pytestmark = pytest.mark.django_db


def as_(actor) -> Client:
    return login(Client(), actor)


@pytest.fixture
def listed(bworld):
    """A certified base in each district (district A's free for students, B's not), and one still applying."""
    a, b = bworld.a, bworld.b
    base_a = certified_base(a, a.experts, name="大兴天文馆", themes=["astronomy"])
    base_b = certified_base(
        b, b.experts, name="西城农业园", student_policy="discounted", themes=["farming"], category="research"
    )
    applying = start(a, base_for(a, name="申报中的基地"))
    return bworld, base_a, base_b, applying


def test_the_public_list_shows_bases_in_force_with_the_map_and_filters(listed, client):
    world, base_a, base_b, applying = listed
    page = client.get("/bases/")
    text = page.content.decode()
    assert page.status_code == 200
    assert "大兴天文馆" in text and "西城农业园" in text and "申报中的基地" not in text
    assert 'data-testid="district-map"' in text and 'property="og:title"' in text
    assert 'aria-label="大兴区: 1' in text  # each district links with its figure for screen readers
    only_a = client.get("/bases/", {"district": world.a.place.code}).content.decode()
    assert "大兴天文馆" in only_a and "西城农业园" not in only_a
    free = client.get("/bases/", {"students": "1"}).content.decode()
    assert "大兴天文馆" in free and "西城农业园" not in free
    farming = client.get("/bases/", {"theme": "farming", "category": "research"}).content.decode()
    assert "西城农业园" in farming and "大兴天文馆" not in farming
    fragment = client.get("/bases/", {"q": "天文"}, HTTP_HX_REQUEST="true", HTTP_HX_TARGET="results")
    assert "<html" not in fragment.content.decode() and "大兴天文馆" in fragment.content.decode()


def test_open_this_weekend_means_a_bookable_slot_this_weekend(listed, client):
    from kepu.bases.selectors import weekend

    world, base_a, base_b, applying = listed
    # A Wednesday morning: run on a Sunday evening, this weekend's slots would already be over.
    today = timezone.localdate()
    wednesday = today + timedelta(days=(2 - today.weekday()) % 7 or 7)
    with clock.frozen_at(timezone.make_aware(datetime.combine(wednesday, time(10)))):
        start_, end = weekend()
        saturday = timezone.localtime(start_).date()
        assert saturday.weekday() == 5
        activities.venue_publish_slots(
            actor=world.a.base_staff, venue=base_a.venue, first_day=saturday, last_day=saturday + timedelta(days=1)
        )
        activities.venue_publish_slots(
            actor=world.b.base_staff,
            venue=base_b.venue,
            first_day=saturday + timedelta(days=7),
            last_day=saturday + timedelta(days=8),
        )
        page = client.get("/bases/", {"weekend": "1"}).content.decode()
    assert "大兴天文馆" in page and "西城农业园" not in page
    assert 'href="/activities/' in page  # the booking button goes to the activities engine


def test_the_base_page_is_public_while_listed_and_otherwise_only_for_its_host_and_office(listed, client):
    world, base_a, base_b, applying = listed
    assert client.get(f"/bases/{base_a.pk}/").status_code == 200
    hidden = applying.base
    assert client.get(f"/bases/{hidden.pk}/").status_code == 404
    assert as_(world.b.admin).get(f"/bases/{hidden.pk}/").status_code == 404
    assert as_(world.a.resident).get(f"/bases/{hidden.pk}/").status_code == 404
    assert as_(world.a.base_staff).get(f"/bases/{hidden.pk}/").status_code == 200
    assert as_(world.a.admin).get(f"/bases/{hidden.pk}/").status_code == 200


def test_another_district_gets_not_found_and_a_role_without_the_right_is_forbidden(listed):
    world, base_a, base_b, applying = listed
    a, b = world.a, world.b
    app = applying
    review_year = timezone.localdate().year
    services.reviews_start(actor=a.admin, year=review_year)
    review = base_a.reviews.get()
    urls = [
        f"/bases/manage/{applying.base.pk}/",
        f"/bases/applications/{app.pk}/",
        f"/bases/reviews/{review.pk}/",
        f"/bases/reviews/{review.pk}/records/visits/",
    ]
    for url in urls:
        assert as_(b.admin).get(url).status_code == 404, url
        assert as_(b.base_staff).get(url).status_code == 404, url
    for url in urls + ["/bases/manage/", "/bases/reviews/"]:
        assert as_(a.resident).get(url).status_code == 403, url
        assert as_(a.street_staff).get(url).status_code == 403, url
    # A step of the other district's application: not found; the base's own office step: forbidden.
    post = as_(b.admin).post(f"/bases/applications/{app.pk}/act/submit/")
    assert post.status_code == 404
    advance(app, a, "submit")
    forbidden = as_(a.base_staff).post(f"/bases/applications/{app.pk}/act/accept/", {"accept-experts": "3"})
    assert forbidden.status_code == 403
    assert Application.objects.get(pk=app.pk).status == "submitted"
    # An expert who was not drawn does not see the application.
    assert as_(b.experts[0]).get(f"/bases/applications/{app.pk}/").status_code == 404
    # The API answers the same.
    api = as_(b.admin)
    assert api.get(f"/api/v1/bases/applications/{app.pk}").status_code == 404
    assert (
        api.post(f"/api/v1/bases/applications/{app.pk}/accept", "{}", content_type="application/json").status_code
        == 404
    )
    own = as_(a.base_staff)
    got = own.post(
        f"/api/v1/bases/applications/{app.pk}/accept", json.dumps({"experts": 3}), content_type="application/json"
    )
    assert got.status_code == 403 and got.json()["code"] == "forbidden"
    assert as_(b.admin).get(f"/api/v1/bases/reviews/{review.pk}").status_code == 404
    assert as_(a.resident).get("/api/v1/bases/applications").json()["items"] == []


def test_the_office_moves_an_application_on_the_page_and_the_api(bworld):
    a = bworld.a
    app = advance(start(a), a, "submit")
    page = as_(a.admin).get(f"/bases/applications/{app.pk}/")
    assert 'data-testid="action-accept"' in page.content.decode()
    assert 'data-testid="action-submit"' not in page.content.decode()
    # A return without a reason is refused on the page, with the message, and nothing changes.
    refused = as_(a.admin).post(f"/bases/applications/{app.pk}/act/return/", {"return-reason": ""})
    assert refused.status_code == 400 and Application.objects.get(pk=app.pk).status == "submitted"
    done = as_(a.admin).post(f"/bases/applications/{app.pk}/act/accept/", {"accept-experts": "3"})
    assert done.status_code == 302 and Application.objects.get(pk=app.pk).status == "expert_review"
    body = as_(a.admin).get(f"/api/v1/bases/applications/{app.pk}").json()
    assert body["status"] == "expert_review" and body["actions"] == ["refuse"]  # the review closes when all have scored
    # An expert drawn scores through the API.
    sheet = app.sheets.first()
    expert = next(e for e in a.experts if e.user.pk == sheet.scorer_id)
    points = {i.pk: str(i.weight - 2) for i in app.rubric.items.all()}
    got = as_(expert).post(
        f"/api/v1/bases/applications/{app.pk}/sheet", json.dumps({"points": points}), content_type="application/json"
    )
    assert got.status_code == 200 and got.json()["status"] == "submitted"


def test_the_certificate_pdf_states_the_title_and_its_qr_code_verifies_it(bworld, client):
    a = bworld.a
    base = certified_base(a, a.experts, name="大兴天文馆")
    app = base.applications.get()
    r = as_(a.base_staff).get(f"/bases/applications/{app.pk}/certificate.pdf")
    assert r["Content-Type"] == "application/pdf"
    text = re.sub(r"\s+", "", PdfReader(io.BytesIO(r.content)).pages[0].extract_text())
    for expected in ("科普基地证书", "大兴天文馆", app.certificate_number, f"{app.term_end:%Y-%m-%d}", "大兴区科协"):
        assert expected in text, expected
    url = f"http://testserver/bases/verify/{app.certificate_number}/"
    stream = PdfReader(io.BytesIO(certificates.certificate_pdf(app, verify_url=url, issuer="x"))).pages[0]
    squares = re.findall(
        r"([\d.]+) ([\d.]+) ([\d.]+) ([\d.]+) re f", stream.get_contents().get_data().decode("latin-1")
    )
    matrix = list(certificates.qr_code(url).matrix)
    assert len(squares) == sum(sum(1 for dark in row if dark) for row in matrix)
    verified = client.get(f"/bases/verify/{app.certificate_number}/")
    assert verified.status_code == 200 and "大兴天文馆" in verified.content.decode()
    assert verified.context["current"] is True
    assert client.get("/bases/verify/NOPE123/").status_code == 404
    assert client.get(f"/api/v1/bases/verify/{app.certificate_number}").json()["current"] is True
    Base.objects.filter(pk=base.pk).update(standing="revoked")
    assert client.get(f"/bases/verify/{app.certificate_number}/").context["current"] is False
    # Someone else's certificate is not theirs to download.
    assert as_(bworld.b.base_staff).get(f"/bases/applications/{app.pk}/certificate.pdf").status_code == 404


def test_a_resident_raises_an_objection_during_the_notice(bworld):
    a = bworld.a
    app = advance(start(a), a, "certify", a.experts)
    notices = Client().get("/bases/notices/")
    assert app.base.name in notices.content.decode()
    r = as_(a.resident).post(f"/bases/notices/{app.pk}/objection/", {"text": "周一实际不开放"})
    assert r.status_code == 302 and app.objections.get().text == "周一实际不开放"
    assert Client().post(f"/bases/notices/{app.pk}/objection/", {"text": "匿名的异议内容"}).status_code == 302
    assert app.objections.count() == 1


def test_the_base_staff_register_set_hours_and_apply_on_the_pages(bworld):
    a = bworld.a
    staff = as_(a.base_staff)
    form = staff.get("/bases/manage/new/")
    assert form.status_code == 200
    r = staff.post(
        "/bases/manage/new/",
        {
            "name": "新科普馆",
            "category": "venue",
            "place_code": a.streets[0].code,
            "address": "科普路2号",
            "exhibition_area": "800",
            "open_days_per_year": "250",
            "student_policy": "free",
            "student_days_per_year": "250",
            "guides": "4",
            "themes": ["ai"],
        },
    )
    base = Base.objects.get(name="新科普馆")
    assert r.status_code == 302 and base.exhibition_area == 800 and base.theme_list == ["ai"]
    hours = {f"day{i}": "09:00-12:00 13:30-16:30" for i in range(1, 6)}
    r = staff.post(
        f"/bases/manage/{base.pk}/hours/", {**hours, "day0": "", "slot_minutes": "60", "slot_capacity": "25"}
    )
    base.refresh_from_db()
    assert r.status_code == 302 and base.venue_id is not None
    bad = staff.post(
        f"/bases/manage/{base.pk}/hours/", {"day1": "9点到12点", "slot_minutes": "60", "slot_capacity": "25"}
    )
    assert bad.status_code == 302
    assert staff.post(f"/bases/manage/{base.pk}/apply/").status_code == 302
    assert base.applications.get().status == "draft"
    assert as_(bworld.b.base_staff).post(f"/bases/manage/{base.pk}/apply/").status_code == 404


def test_a_base_shows_attached_pieces_and_only_its_own_staff_attach_them(listed):
    """展品介绍 from the science library on the public page of a base; attached from the base's management page."""
    from kepu.resources.tests.factories import add_reviewers, published

    world, base_a, base_b, applying = listed
    a, b = world.a, add_reviewers(world).b
    piece = published(a, title="月球车模型讲解")
    staff = as_(a.base_staff)
    manage = staff.get(f"/bases/manage/{base_a.pk}/").content.decode()
    assert f"/resources/attach/?type=base&amp;id={base_a.pk}" in manage
    chooser = staff.get("/resources/attach/", {"type": "base", "id": base_a.pk, "q": "月球车"}).content.decode()
    assert "月球车模型讲解" in chooser and base_a.name in chooser
    done = staff.post("/resources/attach/", {"type": "base", "id": base_a.pk, "resource": piece.pk, "label": "exhibit"})
    assert done.status_code == 302 and done["Location"] == f"/bases/{base_a.pk}/"
    public = Client().get(f"/bases/{base_a.pk}/").content.decode()
    section = public.split('data-testid="attached-resources"')[1].split("</section>")[0]
    assert "月球车模型讲解" in section and "展品介绍" in section and f"/resources/{piece.pk}/" in section
    # Nothing attached elsewhere shows: the other district's base has no such section.
    assert 'data-testid="attached-resources"' not in Client().get(f"/bases/{base_b.pk}/").content.decode()

    # The staff of the other district's base cannot attach to this one, nor take the piece off it.
    other = as_(b.base_staff)
    assert other.get("/resources/attach/", {"type": "base", "id": base_a.pk}).status_code == 404
    refused = other.post(
        "/resources/attach/", {"type": "base", "id": base_a.pk, "resource": piece.pk, "label": "video"}
    )
    assert refused.status_code == 404
    from kepu.resources.models import Attachment

    attachment = Attachment.objects.get(target_type="base", target_id=base_a.pk)
    assert other.post(f"/resources/attachments/{attachment.pk}/remove/").status_code == 404
    assert Attachment.objects.filter(target_type="base").count() == 1
    # The district office oversees the base but does not speak for it: it sees the pieces, without the button.
    office = as_(a.admin)
    office_page = office.get(f"/bases/manage/{base_a.pk}/").content.decode()
    assert "月球车模型讲解" in office_page and "/resources/attach/?type=base" not in office_page
    assert office.get("/resources/attach/", {"type": "base", "id": base_a.pk}).status_code == 404
    # Its own staff take it off again.
    staff.post(f"/resources/attachments/{attachment.pk}/remove/")
    assert 'data-testid="attached-resources"' not in Client().get(f"/bases/{base_a.pk}/").content.decode()


def test_the_api_gives_the_mean_score_to_those_the_page_shows_the_sheets(bworld):
    """The page shows a city-level application's sheets to the district office over the base too
    (ApplicationAction.VIEW_SCORES); the API's mean score was the city office's and the running office's
    alone. Both now ask the policy."""
    a = bworld.a
    app = advance(start(a), a, "score", expert_actors=a.experts)

    def mean(actor):
        got = as_(actor).get(f"/api/v1/bases/applications/{app.pk}")
        assert got.status_code == 200
        return got.json()["mean_score"]

    assert mean(a.admin) is not None and mean(a.base_staff) is None
    # The same application run by the city office (a city-level one): the district office still oversees the base.
    Application.objects.filter(pk=app.pk).update(level="city")
    assert mean(a.admin) is not None and mean(a.base_staff) is None
