"""The pages and the API: what each role sees, and refusals for people of another district or role."""

import json
from datetime import timedelta

import pytest
from django.test import Client

from kepu.core import clock
from kepu.core.testing.web import login
from kepu.emergency import services
from kepu.emergency.models import ChecklistItem, Event, EventStatus, OnCall, Question
from kepu.emergency.tests.factories import declare_data


def as_(actor):
    return login(Client(), actor)


@pytest.fixture
def event(eworld, django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=True):
        return services.event_declare(actor=eworld.a.admin, data=declare_data(eworld))


def test_the_office_declares_on_the_form_and_sees_reach(eworld, django_capture_on_commit_callbacks):
    w = eworld
    c = as_(w.a.admin)
    page = c.get("/emergency/declare/")
    assert page.status_code == 200
    html = page.content.decode()
    assert "checked" not in html  # nothing chosen in advance
    start = clock.now()
    with django_capture_on_commit_callbacks(execute=True):
        response = c.post(
            "/emergency/declare/",
            {
                "hazard": declare_data(w)["hazard"],
                "level": "red",
                "places": [w.street1.code],
                "starts_at": start.strftime("%Y-%m-%dT%H:%M"),
                "expected_end": (start + timedelta(hours=6)).strftime("%Y-%m-%dT%H:%M"),
            },
        )
    assert response.status_code == 302, response.content.decode()[:2000]
    event = Event.objects.get()
    detail = c.get(response["Location"])
    assert detail.status_code == 200
    text = detail.content.decode()
    assert w.street1.name in text and "暴雨洪涝" in text
    fragment = c.get(f"/emergency/events/{event.pk}/?part=reach", HTTP_HX_REQUEST="true")
    assert fragment.status_code == 200 and 'data-testid="reach"' in fragment.content.decode()
    assert "<html" not in fragment.content.decode()


def test_a_form_without_places_says_so_and_saves_nothing(eworld):
    w = eworld
    response = as_(w.a.admin).post("/emergency/declare/", {"level": "red"})
    assert response.status_code == 200
    assert "请至少选择一个受影响地区。" in response.content.decode() and "请选择灾种。" in response.content.decode()
    assert not Event.objects.exists()


def test_an_expired_pack_asks_for_a_reason_on_the_form(eworld):
    w = eworld
    w.pack.review_by = clock.now().date() - timedelta(days=1)
    w.pack.save(update_fields=["review_by"])
    data = {k: v for k, v in declare_data(w).lists()}
    response = as_(w.a.admin).post("/emergency/declare/", data)
    assert response.status_code == 200
    assert not Event.objects.exists()
    assert "override_reason" in response.content.decode()


def test_community_staff_tick_their_checklist_by_htmx(eworld, event):
    w = eworld
    c = as_(w.a.community_staff)
    page = c.get(f"/emergency/events/{event.pk}/checklist/")
    assert page.status_code == 200
    item = ChecklistItem.objects.filter(event=event, community=w.a.communities[0]).first()
    assert f"item-{item.pk}" in page.content.decode()
    others = ChecklistItem.objects.exclude(community=w.a.communities[0]).first()
    assert f"item-{others.pk}" not in page.content.decode()
    response = c.post(f"/emergency/checklist/{item.pk}/", {"done": "1"}, HTTP_HX_REQUEST="true")
    assert response.status_code == 200 and "em-done" in response.content.decode()
    item.refresh_from_db()
    assert item.done_at is not None
    assert c.post(f"/emergency/checklist/{others.pk}/", {"done": "1"}).status_code == 404


def test_residents_read_the_public_page_and_ask(eworld, event):
    w = eworld
    anonymous = Client().get(f"/emergency/e/{event.pk}/")
    assert anonymous.status_code == 200
    text = anonymous.content.decode()
    assert w.pack.sms_text in text and w.elder.title in text and w.guide.title in text
    c = as_(w.a.resident)
    assert c.get(f"/emergency/e/{event.pk}/").status_code == 200
    assert event.deliveries.get(user=w.a.resident.user).read_at is not None
    assert c.post(f"/emergency/e/{event.pk}/", {"text": "家里的老人要不要转移？"}).status_code == 302
    assert Question.objects.filter(event=event).count() == 1


def test_the_expert_accepts_and_answers_on_the_duty_page(eworld, event):
    w = eworld
    call = OnCall.objects.get(event=event)
    c = as_(w.team[0])
    assert event.title in c.get("/emergency/duty/").content.decode()
    assert c.post(f"/emergency/duty/calls/{call.pk}/accept/").status_code == 302
    q = services.question_ask(actor=w.a.resident, event=event, data={"text": "地下室进水了怎么办？"})
    page = c.get("/emergency/duty/")
    assert q.text in page.content.decode()
    assert c.post(f"/emergency/duty/questions/{q.pk}/", {"answer": "先断电，人员撤离到高处。"}).status_code == 302
    assert "先断电" in Client().get(f"/emergency/e/{event.pk}/").content.decode()


def test_the_office_closes_the_event_and_it_is_in_past_events(eworld, event):
    w = eworld
    c = as_(w.a.admin)
    bad = c.post(f"/emergency/events/{event.pk}/act/close/", {})
    assert bad.status_code == 400
    ok = c.post(f"/emergency/events/{event.pk}/act/close/", {"close-review": "各社区两小时内完成走访。"})
    assert ok.status_code == 302
    event.refresh_from_db()
    assert event.status == EventStatus.CLOSED
    assert event.title in c.get("/emergency/past/").content.decode()


def test_packs_are_prepared_and_approved_on_their_pages(eworld):
    from kepu.emergency.models import Pack
    from kepu.emergency.tests.factories import pack_data

    w = eworld
    c = as_(w.a.admin)
    assert c.get("/emergency/packs/").status_code == 200
    response = c.post("/emergency/packs/new/", pack_data(w, title="高温应急包"))
    assert response.status_code == 302
    pack = Pack.objects.get(title="高温应急包")
    assert c.get(f"/emergency/packs/{pack.pk}/").status_code == 200
    day = (clock.now().date() + timedelta(days=90)).isoformat()
    assert c.post(f"/emergency/packs/{pack.pk}/act/approve/", {"approve-review_by": day}).status_code == 302
    pack.refresh_from_db()
    assert pack.status == "approved"


# --- Refusals: another district, another role -----------------------------------------------------------
def test_another_district_is_refused_on_every_page(eworld, event):
    w = eworld
    item = ChecklistItem.objects.filter(event=event).first()
    call = OnCall.objects.get(event=event)
    pk = event.pk
    for actor in (w.b.admin, w.b.street_staff, w.b.community_staff):
        c = as_(actor)
        assert c.get(f"/emergency/events/{pk}/").status_code in (403, 404)
        assert c.get(f"/emergency/events/{pk}/checklist/").status_code == 404
        assert c.post(f"/emergency/checklist/{item.pk}/", {"done": "1"}).status_code in (403, 404)
        assert c.post(f"/emergency/events/{pk}/act/close/", {"close-review": "xxxx"}).status_code in (403, 404)
        assert c.post(f"/emergency/events/{pk}/fast-track/", {"resource": "1"}).status_code in (403, 404)
        assert event.title not in c.get("/emergency/").content.decode()
    b = as_(w.b.admin)
    assert b.get(f"/emergency/packs/{w.pack.pk}/").status_code == 404
    assert b.post(f"/emergency/packs/{w.pack.pk}/act/revise/").status_code == 404
    expert_b = as_(w.b.expert)
    assert expert_b.post(f"/emergency/duty/calls/{call.pk}/accept/").status_code == 404
    q = services.question_ask(actor=w.a.resident, event=event, data={"text": "要不要储备饮用水？"})
    assert as_(w.team[1]).post(f"/emergency/duty/questions/{q.pk}/", {"answer": "需要储备。"}).status_code == 404
    assert as_(w.b.resident).post(f"/emergency/e/{pk}/", {"text": "我们这里呢？请回答"}).status_code == 403
    event.refresh_from_db()
    assert event.status == EventStatus.DECLARED
    assert not ChecklistItem.objects.filter(done_at__isnull=False).exists()


def test_other_roles_are_refused_the_office_pages(eworld, event):
    w = eworld
    for actor in (w.a.resident, w.a.unit_staff, w.a.team_staff, w.a.expert):
        c = as_(actor)
        assert c.get("/emergency/declare/").status_code == 403
        assert c.get("/emergency/packs/").status_code == 403
        assert c.get(f"/emergency/events/{event.pk}/").status_code in (403, 404)
    assert as_(w.a.street_staff).get("/emergency/declare/").status_code == 403
    # A received warning is the offices' business, not the streets'.
    assert as_(w.a.street_staff).get(f"/emergency/events/{event.pk}/checklist/").status_code == 200


def test_the_api_answers_the_office_and_refuses_elsewhere(eworld, event):
    w = eworld
    a, b = as_(w.a.admin), as_(w.b.admin)
    assert [e["id"] for e in a.get("/api/v1/emergency/events").json()["items"]] == [event.pk]
    assert b.get("/api/v1/emergency/events").json()["items"] == []
    reach = a.get(f"/api/v1/emergency/events/{event.pk}/reach").json()
    assert {r["place"] for r in reach} == {w.street1.code, w.street2.code}
    assert sum(r["sent"] for r in reach) == event.deliveries.count()
    assert b.get(f"/api/v1/emergency/events/{event.pk}/reach").status_code == 404
    assert b.get(f"/api/v1/emergency/events/{event.pk}").status_code == 404
    body = {
        "hazard": int(declare_data(w)["hazard"]),
        "level": "red",
        "places": [w.street1.code],
        "starts_at": clock.now().isoformat(),
        "expected_end": (clock.now() + timedelta(hours=3)).isoformat(),
    }
    refused = b.post("/api/v1/emergency/events", json.dumps(body), content_type="application/json")
    assert refused.status_code in (400, 403, 422) and Event.objects.count() == 1
    public = Client().get(f"/api/v1/emergency/public/{event.pk}").json()
    assert public["sms_text"] == w.pack.sms_text and public["pieces"] == [w.guide.pk]


def test_the_checklist_and_calls_are_on_the_workers_todo_lists(eworld, event):
    from kepu.emergency.selectors import worker_todos

    w = eworld
    todo = worker_todos(w.a.community_staff)[0]
    assert todo.count == 3 and todo.url == f"/emergency/events/{event.pk}/checklist/"
    services.checklist_tick(
        actor=w.a.community_staff, item=ChecklistItem.objects.filter(community=w.a.communities[0]).first(), done=True
    )
    assert worker_todos(w.a.community_staff)[0].count == 2
    assert worker_todos(w.b.community_staff)[0].count == 0
    calls, questions = worker_todos(w.team[0])
    assert calls.count == 1 and questions.count == 0
    assert worker_todos(w.team[1])[0].count == 0


def test_my_data_holds_the_warnings_and_questions_and_erasure_removes_the_words(eworld, event):
    from kepu.core.personal_data import export_all

    w = eworld
    call = OnCall.objects.get(event=event)
    services.call_answer(actor=w.team[0], call=call, action="accept")
    q = services.question_ask(actor=w.a.resident, event=event, data={"text": "我家老人独居，谁来帮忙？"})
    services.question_answer(actor=w.team[0], question=q, data={"answer": "社区工作人员会入户走访。"})
    data = export_all(w.a.resident.user)["emergency"]
    assert [x["question"] for x in data["questions"]] == ["我家老人独居，谁来帮忙？"]
    assert [x["event"] for x in data["warnings_sent"]] == [event.title]
    assert "emergency" not in export_all(w.b.resident.user)
    services.erase_personal_data(w.a.resident, w.a.resident.user)
    q.refresh_from_db()
    assert q.text == services.ERASED_QUESTION and q.answer == "社区工作人员会入户走访。"
    assert "我家老人独居" not in Client().get(f"/emergency/e/{event.pk}/").content.decode()
