"""The plans API: the same scoping and services as the web."""

import pytest

from kepu.core.testing.web import login
from kepu.plans.models import NodeKind, ProgressReport
from kepu.plans.tests.factories import published_plan

pytestmark = pytest.mark.django_db


def test_office_reads_plan_tree_with_progress(client, world):
    plan = published_plan(world.a.admin)
    login(client, world.a.admin)
    data = client.get(f"/api/v1/plans/{plan.pk}").json()
    assert data["title"] == plan.title and len(data["nodes"]) == 5
    task = next(n for n in data["nodes"] if n["kind"] == "task")
    assert task["status"] == "not_reported" and task["targets"][0]["unit_of_measure"] == "场"
    assert [p["id"] for p in client.get("/api/v1/plans/").json()] == [plan.pk]
    assert any(m["key"] == "people.volunteers" for m in client.get("/api/v1/plans/measures").json())


def test_unit_reports_through_the_api_and_sees_only_its_tasks(client, world):
    plan = published_plan(world.a.admin)
    task = plan.nodes.filter(kind=NodeKind.TASK).order_by("position")[0]
    other = plan.nodes.filter(kind=NodeKind.TASK).order_by("position")[1]
    login(client, world.a.unit_staff)
    mine = client.get("/api/v1/plans/tasks/mine").json()
    assert [t["id"] for t in mine] == [task.pk]
    data = client.get(f"/api/v1/plans/{plan.pk}").json()
    assert {n["id"] for n in data["nodes"]} == {task.pk}
    response = client.post(
        f"/api/v1/plans/tasks/{task.pk}/reports", {"text": "讲座5场", "percent": "25"}, content_type="application/json"
    )
    assert response.status_code == 201 and float(response.json()["percent"]) == 25
    assert (
        client.post(
            f"/api/v1/plans/tasks/{other.pk}/reports", {"text": "x"}, content_type="application/json"
        ).status_code
        == 404
    )
    bad = client.post(f"/api/v1/plans/tasks/{task.pk}/reports", {"text": ""}, content_type="application/json")
    assert bad.status_code == 400 and bad.json()["code"] == "text_required"
    assert ProgressReport.objects.count() == 1
    scores = client.get(f"/api/v1/plans/{plan.pk}/evaluation").json()
    assert [s["organization_id"] for s in scores] == [world.a.unit.pk]


def test_other_districts_and_roles_see_nothing(client, world):
    plan = published_plan(world.a.admin)
    task = plan.nodes.filter(kind=NodeKind.TASK).first()
    for actor in (world.b.admin, world.b.unit_staff, world.a.resident, world.a.team_staff):
        login(client, actor)
        assert client.get("/api/v1/plans/").json() == []
        assert client.get(f"/api/v1/plans/{plan.pk}").status_code == 404
        assert client.get(f"/api/v1/plans/tasks/{task.pk}").status_code == 404
        assert client.get(f"/api/v1/plans/{plan.pk}/evaluation").status_code == 404
    client.logout()
    assert client.get("/api/v1/plans/").status_code == 401


def test_close_and_reopen_through_the_api(client, world):
    plan = published_plan(world.a.admin)
    login(client, world.b.admin)
    assert client.post(f"/api/v1/plans/{plan.pk}/close").status_code == 404
    login(client, world.a.unit_staff)
    assert client.post(f"/api/v1/plans/{plan.pk}/close").status_code == 403
    login(client, world.a.admin)
    closed = client.post(f"/api/v1/plans/{plan.pk}/close")
    assert closed.status_code == 200 and closed.json()["status"] == "closed" and closed.json()["closed_at"]
    again = client.post(f"/api/v1/plans/{plan.pk}/close")
    assert again.status_code == 409 and again.json()["code"] == "already_closed"
    bad = client.post(f"/api/v1/plans/{plan.pk}/reopen", {"reason": ""}, content_type="application/json")
    assert bad.status_code == 400 and bad.json()["code"] == "reason_required"
    reopened = client.post(f"/api/v1/plans/{plan.pk}/reopen", {"reason": "补录"}, content_type="application/json")
    assert reopened.json()["status"] == "active" and reopened.json()["closed_at"] is None


# --- Import drafts: the same review as the web page -------------------------------------------------
def _post(client, url, data):
    return client.post(url, data, content_type="application/json")


def _upload(client, name):
    from django.core.files.uploadedfile import SimpleUploadedFile

    from kepu.plans.tests.importer.support import read_plan

    response = client.post("/api/v1/plans/drafts", {"document": SimpleUploadedFile("p.txt", read_plan(name).encode())})
    assert response.status_code == 201
    return response.json()


def test_a_draft_through_the_api_says_what_the_page_says(client, world):
    login(client, world.a.admin)
    draft = _upload(client, "outline_2021_2035.txt")
    assert (draft["year"], draft["end_year"], draft["bullets_as_tasks"], draft["bullets_default"]) == (
        2021,
        2035,
        True,
        True,
    )
    assert draft["summary"] == {
        "tasks": 18,
        "text_parts": 11,  # the preamble, 指导思想, 基本原则 and its 3, 发展目标, 组织实施 and its 3
        "targets": 11,
        "baselines": 0,
        "matched": 0,
        "left_out": 0,
        "pending": 0,
        "tasks_without_units": 18,
    }
    nodes = {n["key"]: n for n in draft["nodes"]}
    assert nodes["preamble"]["role"] == "text" and nodes["2"]["role"] == "text" and nodes["4.1.1"]["role"] == "task"
    goal = nodes["3"]["targets"][0]
    assert {k: goal[k] for k in ("value", "unit", "period", "period_text", "baseline", "baseline_year")} == {
        "value": "30",
        "unit": "%",
        "period": "by_year",
        "period_text": "到2025年",
        "baseline": "24.5",
        "baseline_year": 2020,
    }
    assert nodes["4.1.3"]["targets"][0]["value"] == "2万"
    # Bullets as points, the goals a task, a period corrected: each answer is the draft as it now is.
    base = f"/api/v1/plans/drafts/{draft['id']}"
    assert _post(client, f"{base}/bullets", {"as_tasks": False}).json()["summary"]["tasks"] == 10
    assert _post(client, f"{base}/roles", {"key": "3", "role": "task"}).json()["summary"]["tasks"] == 11
    changed = _post(client, f"{base}/targets", {"key": "3", "index": 1, "period": "year"}).json()
    assert next(n for n in changed["nodes"] if n["key"] == "3")["targets"][1]["period_text"] == "每年"
    refused = _post(client, f"{base}/targets", {"key": "3", "index": 1, "period": "by_year"})
    assert refused.status_code == 400 and refused.json()["code"] == "year_required"
    titled = _post(client, f"{base}/titles", {"key": "3", "title": "发展目标（2025、2035年）"}).json()
    assert next(n for n in titled["nodes"] if n["key"] == "3")["title"] == "发展目标（2025、2035年）"
    published = _post(client, f"{base}/publish", {"title": "纲要", "year": 2021, "end_year": 2035})
    assert published.status_code == 201
    plan = client.get(f"/api/v1/plans/{published.json()['id']}").json()
    assert sum(len(n["targets"]) for n in plan["nodes"]) == 11
    assert {n["kind"] for n in plan["nodes"]} == {"section", "task", "text"}


def test_names_are_resolved_once_and_warnings_are_sentences(client, world):
    login(client, world.a.admin)
    draft = _upload(client, "action_plan_2024_2026.txt")
    alliance = next(n for n in draft["names_to_resolve"] if n["name"] == "区科普基地联盟")
    assert (alliance["count"], alliance["preselect"]) == (3, None)
    answer = _post(
        client, f"/api/v1/plans/drafts/{draft['id']}/names", {"name": "区科普基地联盟", "choice": str(world.a.unit2.pk)}
    ).json()
    assert "区科普基地联盟" not in answer["unresolved"]
    assert "区科普基地联盟" not in {n["name"] for n in answer["names_to_resolve"]}
    answer = _post(client, f"/api/v1/plans/drafts/{draft['id']}/roles", {"key": "1.2.1", "role": "task"}).json()
    assert answer["warnings"] == [{"code": "missing_units", "line": 11, "message": "1.坚持统筹协调 没有写明责任单位。"}]


def test_other_offices_cannot_touch_a_draft_through_the_api(client, world):
    login(client, world.a.admin)
    draft = _upload(client, "action_plan_2024_2026.txt")
    base = f"/api/v1/plans/drafts/{draft['id']}"
    calls = [
        ("names", {"name": "区科普基地联盟", "choice": "skip"}),
        ("roles", {"key": "1", "role": "task"}),
        ("bullets", {"as_tasks": True}),
        ("targets", {"key": "1.3", "index": 0, "period": "year"}),
        ("titles", {"key": "1", "title": "x"}),
    ]
    for actor in (world.b.admin, world.a.unit_staff, world.a.resident):
        login(client, actor)
        for path, data in calls:
            assert _post(client, f"{base}/{path}", data).status_code in (403, 404), (actor, path)
    login(client, world.a.admin)
    assert client.get(base).json() == draft
