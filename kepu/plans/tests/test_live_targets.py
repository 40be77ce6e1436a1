"""Live targets: a target bound to a measure moves with the platform's records.

The real "activities held" measure comes with the activities app; here a fake one is
registered over an in-memory list of activities, exactly as that app will register its own.
"""

from dataclasses import dataclass
from datetime import date
from decimal import Decimal

import pytest

from kepu.core.errors import DomainError
from kepu.plans import services
from kepu.plans.measures import get_measure, put_measure, register_measure, unregister_measure
from kepu.plans.models import NodeKind
from kepu.plans.selectors import plan_progress
from kepu.plans.tests.factories import published_plan

pytestmark = pytest.mark.django_db


@dataclass
class FakeActivity:
    place_code: str
    theme: str
    held_on: date


@pytest.fixture
def activities():
    held: list[FakeActivity] = []

    def compute(filters):
        return Decimal(
            sum(
                1
                for a in held
                if a.place_code.startswith(filters.get("place", ""))
                and (not filters.get("theme") or a.theme == filters["theme"])
                and (not filters.get("year") or a.held_on.year == int(filters["year"]))
            )
        )

    real = get_measure("activities.held")
    register_measure(
        "activities.held",
        "Activities held",
        "场",
        compute,
        lambda filters: "/activities/?theme=" + filters.get("theme", ""),
    )
    yield held
    unregister_measure("activities.held")
    if real is not None:  # put the activities app's own measure back, whole, for the tests that follow
        put_measure(real)


def _bound_target(world):
    plan = published_plan(world.a.admin)
    task = plan.nodes.filter(kind=NodeKind.TASK).order_by("position")[2]  # 全国科普日: 800 场
    target = task.targets.get()
    services.target_bind(
        actor=world.a.admin,
        target=target,
        measure_key="activities.held",
        filters={"place": "110115", "theme": "national-science-day", "year": 2026},
    )
    return plan, task


def _current(plan, task):
    node = next(n for n in plan_progress(plan).tasks if n.node.pk == task.pk)
    return node.targets[0]


def test_target_moves_when_such_an_activity_is_held_and_not_when_another_is(world, activities):
    plan, task = _bound_target(world)
    assert _current(plan, task).current == 0
    activities.append(FakeActivity("110115001001", "national-science-day", date(2026, 9, 20)))
    view = _current(plan, task)
    assert view.current == 1 and view.records_url == "/activities/?theme=national-science-day"
    activities.append(FakeActivity("110102001001", "national-science-day", date(2026, 9, 20)))  # 西城, not 大兴
    activities.append(FakeActivity("110115001001", "世界水日", date(2026, 3, 22)))  # another theme
    activities.append(FakeActivity("110115001001", "national-science-day", date(2025, 9, 20)))  # another year
    assert _current(plan, task).current == 1
    activities.extend(FakeActivity("110115002001", "national-science-day", date(2026, 9, 21)) for _ in range(799))
    view = _current(plan, task)
    assert view.current == 800 and view.met
    assert next(n for n in plan_progress(plan).tasks if n.node.pk == task.pk).status == "done"


def test_a_live_target_is_not_reported_by_hand(world, activities):
    plan, task = _bound_target(world)
    with pytest.raises(DomainError) as exc:
        services.report_create(actor=world.a.admin, task=task, text="x", target=task.targets.get(), value=5)
    assert exc.value.code in ("forbidden", "target_is_live")


def test_binding_to_an_unknown_measure_is_refused(world):
    plan = published_plan(world.a.admin)
    target = plan.nodes.filter(targets__isnull=False).first().targets.first()
    with pytest.raises(DomainError) as exc:
        services.target_bind(actor=world.a.admin, target=target, measure_key="nope.nothing")
    assert exc.value.code == "unknown_measure"


def test_foundation_measure_counts_volunteers_by_place(world):
    from kepu.accounts.tests.factories import person
    from kepu.core.roles import Role
    from kepu.plans.measures import compute_measure

    person(world.a.team, Role.VOLUNTEER)
    person(world.b.team, Role.VOLUNTEER)
    assert compute_measure("people.volunteers", {"place": "110115"}) == 1
    assert compute_measure("people.volunteers", {}) == 2
    assert compute_measure("people.residents", {"place": "110102"}) == 2


def test_closing_freezes_live_targets_and_stops_changes_until_reopened(world, activities):
    from kepu.core.models import AuditEntry
    from kepu.plans.evaluation import evaluate

    plan, task = _bound_target(world)
    activities.extend(FakeActivity("110115001001", "national-science-day", date(2026, 9, 20)) for _ in range(3))
    before = [s.total for s in evaluate(plan_progress(plan))]
    services.plan_close(actor=world.a.admin, plan=plan)
    plan.refresh_from_db()
    assert plan.is_closed and plan.closed_at is not None
    # Records entered after closing do not move a closed plan's target or evaluation.
    activities.extend(FakeActivity("110115001001", "national-science-day", date(2026, 9, 21)) for _ in range(5))
    assert _current(plan, task).current == 3
    assert [s.total for s in evaluate(plan_progress(plan))] == before
    entry = AuditEntry.objects.get(action="kepu.plans.plan.close")
    assert entry.data["frozen_targets"] == {str(task.targets.get().pk): "3"}

    for attempt in (
        lambda: services.report_create(actor=world.a.admin, task=task, text="补报"),
        lambda: services.task_update(actor=world.a.admin, task=task, budget="5"),
        lambda: services.reminder_send(actor=world.a.admin, task=task),
        lambda: services.plan_set_weights(actor=world.a.admin, plan=plan, targets=40, on_time=40, quality=20),
        lambda: services.target_bind(actor=world.a.admin, target=task.targets.get(), measure_key=""),
    ):
        with pytest.raises(DomainError) as exc:
            attempt()
        assert exc.value.code == "plan_closed"
    with pytest.raises(DomainError) as exc:
        services.plan_close(actor=world.a.admin, plan=plan)
    assert exc.value.code == "already_closed"

    with pytest.raises(DomainError) as exc:
        services.plan_reopen(actor=world.a.admin, plan=plan, reason=" ")
    assert exc.value.code == "reason_required"
    services.plan_reopen(actor=world.a.admin, plan=plan, reason="补录第四季度活动")
    plan.refresh_from_db()
    assert not plan.is_closed and _current(plan, task).current == 8  # live again
    assert AuditEntry.objects.get(action="kepu.plans.plan.reopen").data["reason"] == "补录第四季度活动"
    services.report_create(actor=world.a.admin, task=task, text="补报")


def test_only_the_owner_office_closes_or_reopens(world):
    from kepu.core.errors import NotAllowed

    plan = published_plan(world.a.admin)
    for actor in (world.a.unit_staff, world.city_admin, world.b.admin):
        with pytest.raises(NotAllowed):
            services.plan_close(actor=actor, plan=plan)
    services.plan_close(actor=world.a.admin, plan=plan)
    for actor in (world.a.unit_staff, world.b.admin):
        with pytest.raises(NotAllowed):
            services.plan_reopen(actor=actor, plan=plan, reason="x")


def test_binding_filters_must_be_picked_from_what_the_platform_knows(world):
    plan = published_plan(world.a.admin)
    target = plan.nodes.filter(targets__isnull=False).first().targets.first()
    bad = [
        {"place": world.b.place.code},  # another district's figures are not this plan's
        {"theme": "全国科普日"},  # the name, not the key the measures read
        {"population": "aliens"},
        {"year": "明年"},
        {"organization": world.b.unit.pk},
    ]
    for filters in bad:
        with pytest.raises(DomainError):
            services.target_bind(actor=world.a.admin, target=target, measure_key="activities.held", filters=filters)
    target.refresh_from_db()
    assert target.measure_key == ""
    street = world.a.streets[0]
    services.target_bind(
        actor=world.a.admin,
        target=target,
        measure_key="activities.held",
        filters={
            "place": street.code,
            "theme": "national-science-day",
            "population": "elderly",
            "year": "2026",
            "organization": str(world.a.unit.pk),
            "colour": "blue",
        },
    )
    target.refresh_from_db()
    assert target.measure_filters == {
        "place": street.code,
        "theme": "national-science-day",
        "population": "elderly",
        "year": 2026,
        "organization": world.a.unit.pk,
    }
