"""Who sees what: every role, through selectors, the web and the API; other districts and roles are refused."""

import random

import pytest
from django.urls import reverse

from kepu.accounts.services import api_token_create
from kepu.accounts.tests.factories import all_roles
from kepu.core.errors import NotAllowed
from kepu.core.roles import Role
from kepu.survey import selectors, services
from kepu.survey.models import Response, ResponseStatus
from kepu.survey.tests.factories import fill

pytestmark = pytest.mark.django_db


def api(client, actor):
    _token, key = api_token_create(actor=actor, name="t")
    return {"HTTP_AUTHORIZATION": f"Bearer {key}"}


def test_responses_each_role_sees(world, filled):
    a, b = world.a, world.b
    everyone = set(Response.objects.values_list("pk", flat=True))
    in_a = set(Response.objects.filter(place__district_code=a.place.code).values_list("pk", flat=True))
    assert set(selectors.response_list(actor=world.city_admin).values_list("pk", flat=True)) == everyone
    assert set(selectors.response_list(actor=a.admin).values_list("pk", flat=True)) == in_a
    by_street = set(Response.objects.filter(interviewer=a.street_staff.user).values_list("pk", flat=True))
    assert by_street and set(selectors.response_list(actor=a.street_staff).values_list("pk", flat=True)) == by_street
    assert not selectors.response_list(actor=a.community_staff).exists()
    mine = fill(a.resident, filled.round, a.communities[0], rng=random.Random(5))
    assert list(selectors.response_list(actor=a.resident)) == [mine]
    assert not selectors.response_list(actor=a.neighbour).exists()
    for role in (Role.UNIT_STAFF, Role.VOLUNTEER_ORG_STAFF, Role.BASE_STAFF, Role.ORG_STAFF, Role.EXPERT):
        assert not selectors.response_list(actor=all_roles(a)[role]).exists()
    assert not set(selectors.response_list(actor=b.admin).values_list("pk", flat=True)) & in_a


def test_results_city_sees_every_group_a_district_only_its_own(world, filled):
    city = selectors.round_results(actor=world.city_admin, round_=filled.round)
    kinds = {e.kind for e in city["estimates"]}
    assert {"city", "district", "sex", "age_group", "education", "area"} <= kinds
    mine = selectors.round_results(actor=world.a.admin, round_=filled.round)
    assert [(e.kind, e.level) for e in mine["estimates"]] == [("district", world.a.place.code)]
    for role, actor in all_roles(world.a).items():
        if role != Role.DISTRICT_ADMIN:
            with pytest.raises(NotAllowed):
                selectors.round_results(actor=actor, round_=filled.round)


def test_progress_of_a_district_office_is_its_own_strata(world, filled):
    rows = selectors.round_progress(actor=world.a.admin, round_=filled.round)
    assert [r["stratum"].district_id for r in rows] == [world.a.place.pk]
    assert rows[0]["approved"] == 16 and rows[0]["quota"] == 40
    assert len(selectors.round_progress(actor=world.city_admin, round_=filled.round)) == 2
    with pytest.raises(NotAllowed):
        selectors.round_progress(actor=world.a.street_staff, round_=filled.round)


@pytest.mark.parametrize(
    "role",
    [
        Role.STREET_STAFF,
        Role.COMMUNITY_STAFF,
        Role.UNIT_STAFF,
        Role.VOLUNTEER_ORG_STAFF,
        Role.BASE_STAFF,
        Role.ORG_STAFF,
        Role.EXPERT,
        Role.RESIDENT,
    ],
)
def test_web_office_pages_refuse_other_roles(client, world, filled, role):
    client.force_login(all_roles(world.a)[role].user)
    pk = filled.round.pk
    for name in ("survey:round", "survey:queue", "survey:results", "survey:results_xlsx"):
        assert client.get(reverse(name, args=[pk])).status_code in (403, 404), name
    assert client.post(reverse("survey:estimate", args=[pk])).status_code == 403
    assert client.post(reverse("survey:round_act", args=[pk, "close"])).status_code == 403
    other = Response.objects.filter(place__district_code=world.b.place.code).first()
    assert client.get(reverse("survey:response", args=[other.pk])).status_code in (403, 404)


def test_web_a_district_office_is_refused_the_other_districts_responses_and_city_actions(client, world, filled):
    client.force_login(world.a.admin.user)
    other = Response.objects.filter(place__district_code=world.b.place.code).first()
    assert client.get(reverse("survey:response", args=[other.pk])).status_code == 404
    assert (
        client.post(reverse("survey:review", args=[other.pk]), {"decision": "rejected", "reason": "x"}).status_code
        == 404
    )
    other.refresh_from_db()
    assert other.status == ResponseStatus.APPROVED
    assert client.post(reverse("survey:estimate", args=[filled.round.pk])).status_code == 403
    assert client.get(reverse("survey:round_create")).status_code == 403
    page = client.get(reverse("survey:results", args=[filled.round.pk])).content.decode()
    assert world.a.place.name in page and world.b.place.name not in page
    queue = client.get(reverse("survey:queue", args=[filled.round.pk]) + "?status=approved").content.decode()
    assert f"#{other.pk}<" not in queue


def test_web_a_resident_sees_only_their_own_questionnaire(client, world, filled):
    mine = fill(world.a.resident, filled.round, world.a.communities[0], rng=random.Random(4), submit=False)
    theirs = fill(world.a.neighbour, filled.round, world.a.communities[-1], rng=random.Random(4), submit=False)
    client.force_login(world.a.resident.user)
    assert client.get(reverse("survey:response", args=[mine.pk])).status_code == 200
    assert client.get(reverse("survey:response", args=[theirs.pk])).status_code == 404
    assert client.get(reverse("survey:question", args=[theirs.pk, 1])).status_code == 404
    assert client.post(reverse("survey:finish", args=[theirs.pk])).status_code == 404
    interview = Response.objects.filter(interviewer__isnull=False).first()
    assert client.get(reverse("survey:response", args=[interview.pk])).status_code == 404


def test_web_an_interviewer_sees_only_their_own_entries(client, world, filled):
    client.force_login(world.a.community_staff.user)
    someone_elses = Response.objects.filter(interviewer=world.a.street_staff.user).first()
    assert client.get(reverse("survey:response", args=[someone_elses.pk])).status_code == 404
    home = client.get(reverse("survey:home")).content.decode()
    assert f"#{someone_elses.pk}<" not in home


@pytest.mark.parametrize(
    "role", [Role.DISTRICT_ADMIN, Role.STREET_STAFF, Role.COMMUNITY_STAFF, Role.UNIT_STAFF, Role.RESIDENT, Role.EXPERT]
)
def test_api_of_one_district_shows_nothing_of_the_other(client, world, filled, role):
    auth = api(client, all_roles(world.a)[role])
    items = client.get("/api/v1/survey/responses?page_size=500", **auth).json()["items"]
    codes = {c.code for c in world.b.communities}
    assert not {i["community"] for i in items} & codes
    other = Response.objects.filter(place__district_code=world.b.place.code).first()
    assert client.get(f"/api/v1/survey/responses/{other.pk}", **auth).status_code == 404
    assert (
        client.post(
            f"/api/v1/survey/responses/{other.pk}/review",
            {"decision": "rejected", "reason": "x"},
            content_type="application/json",
            **auth,
        ).status_code
        == 404
    )
    results = client.get(f"/api/v1/survey/rounds/{filled.round.pk}/results", **auth)
    if role == Role.DISTRICT_ADMIN:
        assert [e["level"] for e in results.json()["estimates"]] == [world.a.place.code]
    else:
        # Roles that see the open round are refused its results; the others do not see the round at all.
        sees_round = role in (Role.STREET_STAFF, Role.COMMUNITY_STAFF, Role.RESIDENT)
        assert results.status_code == (403 if sees_round else 404)
    assert client.post(f"/api/v1/survey/rounds/{filled.round.pk}/estimate", **auth).status_code in (403, 404)


def test_api_the_city_sees_all_and_runs_the_estimation(client, world, filled):
    auth = api(client, world.city_admin)
    results = client.get(f"/api/v1/survey/rounds/{filled.round.pk}/results", **auth).json()
    city = next(e for e in results["estimates"] if e["kind"] == "city")
    assert 0 <= city["ci_low"] <= city["estimate"] <= city["ci_high"] <= 1
    assert results["respondents"] == len(filled.responses)
    progress = client.get(f"/api/v1/survey/rounds/{filled.round.pk}/progress", **auth).json()
    assert {p["district"] for p in progress} == {world.a.place.code, world.b.place.code}
    run = client.post(f"/api/v1/survey/rounds/{filled.round.pk}/estimate", **auth)
    assert run.status_code == 202


def test_api_a_resident_fills_their_questionnaire_and_sees_no_score_until_allowed(client, world, filled):
    auth = api(client, world.a.resident)
    questions = client.get(f"/api/v1/survey/rounds/{filled.round.pk}/questions", **auth).json()
    assert len(questions) == 20 and "answer" not in questions[0]
    started = client.post(
        f"/api/v1/survey/rounds/{filled.round.pk}/responses",
        {
            "community": world.a.communities[0].code,
            "sex": "male",
            "age": 45,
            "education": "college",
            "area": "urban",
        },
        content_type="application/json",
        **auth,
    )
    assert started.status_code == 201, started.content
    rid = started.json()["id"]
    for q in questions:
        body = {"question": q["code"], "answer": q["options"][0]["key"]}
        assert (
            client.post(
                f"/api/v1/survey/responses/{rid}/answers", body, content_type="application/json", **auth
            ).status_code
            == 200
        )
    done = client.post(f"/api/v1/survey/responses/{rid}/submit", **auth).json()
    assert done["status"] == "submitted"
    bad = client.post(
        f"/api/v1/survey/rounds/{filled.round.pk}/responses",
        {
            "community": world.a.communities[0].code,
            "sex": "male",
            "age": 45,
            "education": "college",
            "area": "urban",
        },
        content_type="application/json",
        **auth,
    )
    assert bad.json()["code"] == "survey_already_answered"
    services.response_review(actor=world.a.admin, response=Response.objects.get(pk=rid), decision="approved")
    assert client.get(f"/api/v1/survey/responses/{rid}", **auth).json()["total_score"] is None
    from kepu.survey.tests.factories import run_job

    run_job(world.city_admin, filled.round)
    assert client.get(f"/api/v1/survey/responses/{rid}", **auth).json()["total_score"] is not None
