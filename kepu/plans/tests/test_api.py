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
    response = client.post(f"/api/v1/plans/tasks/{task.pk}/reports", {"text": "讲座5场", "percent": "25"},
                           content_type="application/json")
    assert response.status_code == 201 and float(response.json()["percent"]) == 25
    assert client.post(f"/api/v1/plans/tasks/{other.pk}/reports", {"text": "x"},
                       content_type="application/json").status_code == 404
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
