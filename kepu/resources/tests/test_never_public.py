"""Refusals: a piece that is not (or no longer) published is never visible to the public.

Not on its page, not in the library's search, not in anybody's feed, not in the API, and not by
the address of any of its files — for a visitor without an account and for a resident it was even
pushed to before it was withdrawn. Each state a version can be in besides "published" is checked.
"""

import pytest
from django.test import Client

from kepu.accounts.models import User
from kepu.resources import selectors, services
from kepu.resources.models import ResourceFile, Status
from kepu.resources.tests.factories import add_file, advance, make_piece, png, upload

pytestmark = pytest.mark.django_db

WORD = "橡皮艇"
STATES = ["draft", "submitted", "science_review", "editorial_review", "returned", "withdrawn", "superseded"]


def _piece_in(state, d, resident, capture):
    r = make_piece(d.unit_staff, kind="video", title=f"{WORD}自救演示", summary=f"洪水中{WORD}的使用")
    add_file(d.unit_staff, r, "cover", upload("c.png", png(), "image/png"), alt="封面")
    if state == "draft":
        return r, r
    if state == "returned":
        r = advance(r, d, "submitted")
        return services.resource_transition(actor=d.admin, resource=r, action="return", reason="请补充字幕"), None
    if state in ("submitted", "science_review", "editorial_review"):
        return advance(r, d, state), None
    r = advance(r, d, "published")
    with capture(execute=True):
        services.push_create(
            actor=d.admin, resource=r, data={"populations": ["elderly"], "places": [d.streets[0].code]}
        )
    assert selectors.feed(actor=resident)[0].resource.pk == r.pk  # it was in the feed while published
    if state == "withdrawn":
        return services.resource_transition(actor=d.admin, resource=r, action="withdraw", reason="数据有误"), None
    # superseded: a corrected version (with another title) replaces it
    new = services.resource_transition(actor=d.unit_staff, resource=r, action="correct").correction
    data = _fields(new)
    data["title"], data["summary"] = "洪水中的自救", "改正后的版本"
    services.resource_update(actor=d.unit_staff, resource=new, data=data)
    advance(new, d)
    return r, None


def results_of(html: str) -> str:
    """The results list of the library page (the search box repeats the query)."""
    start = html.index('data-testid="results"')
    return html[start : html.index("</section>", start)]


def _fields(r):
    from django.utils.datastructures import MultiValueDict

    data = MultiValueDict(
        {
            k: [str(getattr(r, k) or "")]
            for k in ("title", "summary", "body", "transcript", "reading_level", "review_field", "author", "licence")
        }
    )
    data.setlist("topics", r.topic_list)
    data.setlist("populations", r.population_list)
    return data


@pytest.mark.parametrize("state", STATES)
def test_a_version_not_published_is_never_public(state, rworld, django_capture_on_commit_callbacks):
    a = rworld.a
    User.objects.filter(pk=a.resident.user.pk).update(key_population="elderly")
    resident = a.resident
    r, _ = _piece_in(state, a, resident, django_capture_on_commit_callbacks)
    r.refresh_from_db()
    assert r.status == state
    files = list(ResourceFile.objects.filter(resource=r))
    assert {f.role for f in files} >= {"media", "captions", "cover"}

    anonymous = Client()
    signed_in = Client()
    signed_in.force_login(resident.user)
    for client in (anonymous, signed_in):
        page = client.get(f"/resources/{r.pk}/")
        if state == "superseded":
            # The old version's address leads to the current version, never to the old text.
            assert page.status_code == 302
            assert WORD not in client.get(page["Location"]).content.decode()
        else:
            assert page.status_code == 404
        assert WORD not in results_of(client.get("/resources/", {"q": WORD}).content.decode())
        assert WORD not in results_of(client.get("/resources/").content.decode())
        assert client.get("/api/v1/resources/", {"q": WORD}).json()["items"] == []
        api = client.get(f"/api/v1/resources/{r.pk}")
        assert api.status_code == 404 or (state == "superseded" and WORD not in api.content.decode())
        for f in files:
            assert client.get(f"/resources/files/{f.pk}/").status_code == 404, (state, f.role)
    assert WORD not in signed_in.get("/resources/for-you/").content.decode()
    assert r.pk not in [s.resource.pk for s in selectors.feed(actor=resident)]
    assert r.pk not in selectors.library(selectors.Filters(q=WORD)).items
    # The inbox message of the earlier push now leads nowhere public.
    if state == "withdrawn":
        from kepu.notifications.models import Notification

        note = Notification.objects.get(recipient=resident.user, kind="kepu.resources.push")
        assert signed_in.get(note.url).status_code == 404


def test_published_is_public_everywhere(rworld, django_capture_on_commit_callbacks):
    """The other side of the refusals above, so they cannot pass by refusing everything."""
    a = rworld.a
    r = advance(make_piece(a.unit_staff, kind="video", title=f"{WORD}自救演示"), a)
    client = Client()
    assert client.get(f"/resources/{r.pk}/").status_code == 200
    assert WORD in results_of(client.get("/resources/", {"q": WORD}).content.decode())
    assert [i["id"] for i in client.get("/api/v1/resources/", {"q": WORD}).json()["items"]] == [r.pk]
    assert client.get(f"/api/v1/resources/{r.pk}").status_code == 200
    for f in ResourceFile.objects.filter(resource=r):
        response = client.get(f"/resources/files/{f.pk}/")
        assert response.status_code == 200
        assert response["X-Content-Type-Options"] == "nosniff"
        assert response["Content-Type"] == f.content_type


def test_staff_of_the_unit_and_its_reviewers_see_what_is_in_review(rworld):
    a = rworld.a
    r = advance(make_piece(a.unit_staff, kind="video"), a, "science_review")
    media = ResourceFile.objects.get(resource=r, role="media")
    for actor in (a.unit_staff, a.admin, a.safety_expert):
        client = Client()
        client.force_login(actor.user)
        assert client.get(f"/resources/{r.pk}/").status_code == 200
        assert client.get(f"/resources/files/{media.pk}/").status_code == 200
    for actor in (rworld.b.admin, rworld.b.unit_staff, a.street_staff, a.life_expert, a.resident):
        client = Client()
        client.force_login(actor.user)
        assert client.get(f"/resources/{r.pk}/").status_code == 404, actor
        assert client.get(f"/resources/files/{media.pk}/").status_code == 404, actor
    assert Status.SCIENCE_REVIEW == r.status
