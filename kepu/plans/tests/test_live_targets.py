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
from kepu.plans.measures import register_measure, unregister_measure
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
        return Decimal(sum(
            1 for a in held
            if a.place_code.startswith(filters.get("place", ""))
            and (not filters.get("theme") or a.theme == filters["theme"])
            and (not filters.get("year") or a.held_on.year == int(filters["year"]))
        ))

    register_measure("activities.held", "Activities held", "场", compute,
                     lambda filters: "/activities/?theme=" + filters.get("theme", ""))
    yield held
    unregister_measure("activities.held")


def _bound_target(world):
    plan = published_plan(world.a.admin)
    task = plan.nodes.filter(kind=NodeKind.TASK).order_by("position")[2]  # 全国科普日: 800 场
    target = task.targets.get()
    services.target_bind(actor=world.a.admin, target=target, measure_key="activities.held",
                         filters={"place": "110115", "theme": "全国科普日", "year": 2026})
    return plan, task


def _current(plan, task):
    node = next(n for n in plan_progress(plan).tasks if n.node.pk == task.pk)
    return node.targets[0]


def test_target_moves_when_such_an_activity_is_held_and_not_when_another_is(world, activities):
    plan, task = _bound_target(world)
    assert _current(plan, task).current == 0
    activities.append(FakeActivity("110115001001", "全国科普日", date(2026, 9, 20)))
    view = _current(plan, task)
    assert view.current == 1 and view.records_url == "/activities/?theme=全国科普日"
    activities.append(FakeActivity("110102001001", "全国科普日", date(2026, 9, 20)))  # 西城, not 大兴
    activities.append(FakeActivity("110115001001", "世界水日", date(2026, 3, 22)))  # another theme
    activities.append(FakeActivity("110115001001", "全国科普日", date(2025, 9, 20)))  # another year
    assert _current(plan, task).current == 1
    activities.extend(FakeActivity("110115002001", "全国科普日", date(2026, 9, 21)) for _ in range(799))
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
