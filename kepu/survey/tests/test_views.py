"""The pages as a user meets them: questionnaire one question per screen, review, round design, results."""

import io
import random

import pytest
from django.urls import reverse
from openpyxl import load_workbook

from kepu.survey import services
from kepu.survey.models import PopulationMargin, Response, ResponseStatus, Round, SampledCommunity
from kepu.survey.templatetags.survey_tags import pct
from kepu.survey.tests.factories import bank_data, fill, margins_csv, open_round, sample_csv

pytestmark = pytest.mark.django_db


def test_a_resident_fills_the_questionnaire_page_by_page_and_resumes(client, world):
    round_ = open_round(world)
    client.force_login(world.a.resident.user)
    home = client.get(reverse("survey:home")).content.decode()
    assert round_.name in home and reverse("survey:start", args=[round_.pk]) in home
    start = client.get(reverse("survey:start", args=[round_.pk]))
    assert start.status_code == 200 and world.a.communities[0].name in start.content.decode()
    bad = client.post(
        reverse("survey:start", args=[round_.pk]),
        {"community": world.a.communities[0].code, "sex": "female", "age": 75},
    )
    assert "18" in bad.content.decode() and not Response.objects.exists()
    response = client.post(
        reverse("survey:start", args=[round_.pk]),
        {
            "community": world.a.communities[0].code,
            "sex": "female",
            "age": 66,
            "education": "junior_high",
            "area": "urban",
            "key_population": "elderly",
        },
    )
    r = Response.objects.get()
    assert response["Location"] == reverse("survey:question", args=[r.pk, 1])
    page = client.get(response["Location"]).content.decode()
    assert "第 1 题，共 20 题" in page and "地球的中心非常热" in page
    empty = client.post(reverse("survey:question", args=[r.pk, 1]), {"go": "next"})
    assert "请选择" in empty.content.decode()
    questions = list(round_.bank.questions.order_by("position"))
    for i, q in enumerate(questions[:5], start=1):
        client.post(reverse("survey:question", args=[r.pk, i]), {"answer": q.answer[0], "go": "next"})
    # Stopping and coming back: the resume link lands on question 6.
    home = client.get(reverse("survey:home")).content.decode()
    assert "继续答题" in home
    assert client.get(reverse("survey:resume", args=[r.pk]))["Location"] == reverse("survey:question", args=[r.pk, 6])
    back = client.post(reverse("survey:question", args=[r.pk, 6]), {"answer": "A", "go": "back"})
    assert back["Location"] == reverse("survey:question", args=[r.pk, 5])
    finish = client.get(reverse("survey:finish", args=[r.pk])).content.decode()
    assert "14" in finish  # questions still unanswered
    for i, q in enumerate(questions, start=1):
        client.post(reverse("survey:question", args=[r.pk, i]), {"answer": list(q.answer), "go": "next"})
    done = client.post(reverse("survey:finish", args=[r.pk]), follow=True).content.decode()
    assert "已提交" in done or "待审核" in done
    r.refresh_from_db()
    assert r.status == ResponseStatus.SUBMITTED and len(r.answers) == 20
    # Once submitted nothing can be changed.
    assert client.get(reverse("survey:question", args=[r.pk, 1]))["Location"] == reverse("survey:response", args=[r.pk])


def test_an_interviewer_enters_for_a_resident_of_their_community(client, world):
    round_ = open_round(world)
    client.force_login(world.a.community_staff.user)
    page = client.get(reverse("survey:start", args=[round_.pk])).content.decode()
    assert world.a.communities[0].name in page and world.a.communities[1].name not in page
    client.post(
        reverse("survey:start", args=[round_.pk]),
        {
            "community": world.a.communities[0].code,
            "respondent_label": "王大爷",
            "sex": "male",
            "age": 68,
            "education": "primary",
            "area": "urban",
        },
    )
    r = Response.objects.get()
    assert r.interviewer == world.a.community_staff.user and r.respondent_label == "王大爷"
    refused = client.post(
        reverse("survey:start", args=[round_.pk]),
        {"community": world.a.communities[1].code, "sex": "male", "age": 68, "education": "primary", "area": "urban"},
    )
    assert refused.status_code == 200 and Response.objects.count() == 1


def test_the_district_office_reviews_from_the_queue(client, world):
    round_ = open_round(world)
    rng = random.Random(8)
    first = fill(world.a.street_staff, round_, world.a.communities[0], rng=rng)
    second = fill(world.a.street_staff, round_, world.a.communities[1], rng=rng)
    client.force_login(world.a.admin.user)
    queue = client.get(reverse("survey:queue", args=[round_.pk])).content.decode()
    assert f"#{first.pk}<" in queue and f"#{second.pk}<" in queue
    detail = client.get(reverse("survey:response", args=[first.pk])).content.decode()
    assert "review-form" in detail
    missing_reason = client.post(reverse("survey:review", args=[first.pk]), {"decision": "rejected"}, follow=True)
    assert "原因" in missing_reason.content.decode()
    first.refresh_from_db()
    assert first.status == ResponseStatus.SUBMITTED
    nxt = client.post(reverse("survey:review", args=[first.pk]), {"decision": "approved"})
    assert nxt["Location"] == reverse("survey:response", args=[second.pk])
    client.post(reverse("survey:review", args=[second.pk]), {"decision": "rejected", "reason": "代答"})
    second.refresh_from_db()
    assert (second.status, second.review_reason) == (ResponseStatus.REJECTED, "代答")


def test_the_city_creates_a_round_imports_its_design_and_opens_it(client, world):
    bank = services.bank_import(actor=world.city_admin, data=bank_data())
    client.force_login(world.city_admin.user)
    created = client.post(
        reverse("survey:round_create"),
        {
            "name": "2026年北京市公民科学素质调查",
            "year": 2026,
            "bank": bank.pk,
            "rule": "legacy",
            "target_percent": "28",
            "show_score": "on",
        },
    )
    round_ = Round.objects.get()
    assert created["Location"] == reverse("survey:round", args=[round_.pk])
    assert (round_.rule, round_.target_rate, round_.show_score) == ("legacy", 0.28, True)
    client.post(reverse("survey:round_import", args=[round_.pk, "sample"]), {"sample-text": sample_csv(world)})
    assert SampledCommunity.objects.filter(round=round_).count() == 8
    upload = io.BytesIO(margins_csv(world).encode("gb18030"))
    upload.name = "margins.csv"
    client.post(reverse("survey:round_import", args=[round_.pk, "margins"]), {"margins-file": upload})
    assert PopulationMargin.objects.filter(round=round_).count() == 8
    bad = client.post(
        reverse("survey:round_import", args=[round_.pk, "margins"]),
        {"margins-text": "variable,level,total\nsex,女,-3\n"},
        follow=True,
    ).content.decode()
    assert "未导入" in bad and PopulationMargin.objects.filter(round=round_).count() == 8
    page = client.get(reverse("survey:round", args=[round_.pk])).content.decode()
    assert "大兴区 · 城镇" in page
    stratum = round_.strata.first()
    client.post(reverse("survey:quota", args=[round_.pk, stratum.pk]), {"quota": "120"})
    stratum.refresh_from_db()
    assert stratum.quota == 120
    client.post(reverse("survey:round_act", args=[round_.pk, "open"]))
    round_.refresh_from_db()
    assert round_.status == "open"


def test_results_page_and_excel_show_the_estimates(client, world, filled):
    services.round_record_historic(
        actor=world.city_admin, name="2023年北京市公民科学素质调查", year=2023, rate=0.2768, target_rate=0.28
    )
    client.force_login(world.city_admin.user)
    page = client.get(reverse("survey:results", args=[filled.round.pk])).content.decode()
    city = filled.run.estimates.get(kind="city")
    assert pct(city.estimate) in page
    assert 'role="img"' in page and "<title" in page and "27.68%" in page
    for kind in ("city", "district", "sex", "age_group", "education", "trend"):
        assert f'data-testid="table-{kind}"' in page
    xlsx = client.get(reverse("survey:results_xlsx", args=[filled.round.pk]))
    assert xlsx["Content-Type"].startswith("application/vnd.openxmlformats")
    wb = load_workbook(io.BytesIO(xlsx.content))
    rows = list(wb.worksheets[0].iter_rows(values_only=True))
    assert any(r[2] == pytest.approx(city.estimate) for r in rows if r and isinstance(r[2], float))
    assert [r[0] for r in wb.worksheets[1].iter_rows(min_row=2, values_only=True)] == [2023, 2026]


def test_lists_take_a_fixed_number_of_queries(client, world, filled, django_assert_max_num_queries):
    client.force_login(world.city_admin.user)
    with django_assert_max_num_queries(20):
        client.get(reverse("survey:queue", args=[filled.round.pk]) + "?status=approved")
    with django_assert_max_num_queries(20):
        client.get(reverse("survey:round", args=[filled.round.pk]))
    with django_assert_max_num_queries(25):
        client.get(reverse("survey:results", args=[filled.round.pk]))
    client.force_login(world.a.street_staff.user)
    with django_assert_max_num_queries(20):
        client.get(reverse("survey:home"))
    _token, key = __import__("kepu.accounts.services", fromlist=["x"]).api_token_create(
        actor=world.city_admin, name="t"
    )
    with django_assert_max_num_queries(12):
        client.get("/api/v1/survey/responses?page_size=100", HTTP_AUTHORIZATION=f"Bearer {key}")


def test_percentages_are_rounded_not_cut():
    assert pct(0.4596670) == "45.97%"
    assert pct(0.2407) == "24.07%"
    assert pct(0.28, 0) == "28%"
    assert pct(None) == "—"


def test_the_questionnaire_starts_from_the_residents_key_population(client, world):
    from kepu.accounts.services import person_set_key_population

    round_ = open_round(world)
    me = world.a.resident
    person_set_key_population(actor=me, person=me.user, key_population="elderly")
    client.force_login(me.user)
    page = client.get(reverse("survey:start", args=[round_.pk])).content.decode()
    import re

    checked = re.findall(r'<input[^>]*name="key_population"[^>]*value="(\w*)"[^>]*checked', page)
    assert checked == ["elderly"]
