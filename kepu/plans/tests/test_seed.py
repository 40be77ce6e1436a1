import pytest
from django.core.management import call_command

from kepu.accounts.models import Membership
from kepu.core.actor import Actor
from kepu.plans.models import NodeKind, Plan
from kepu.plans.selectors import my_tasks

pytestmark = pytest.mark.django_db


def test_demo_seed_imports_the_two_fixture_plans_and_builds_this_years_plan():
    call_command("seed_demo")
    plans = {p.place.code: p for p in Plan.objects.select_related("place")}
    assert set(plans) == {"110118", "110102", "110115"}
    miyun, xicheng = plans["110118"], plans["110102"]
    assert miyun.title == "2024年密云区科普工作要点" and miyun.year == 2024
    assert miyun.nodes.filter(kind=NodeKind.TASK).count() == 19
    assert xicheng.nodes.filter(kind=NodeKind.TASK).count() == 23
    # 区科委 in Miyun's plan is the district's 区科信局 (alias), and 各镇（街道）（地区） expands to its street offices.
    first = miyun.nodes.filter(kind=NodeKind.TASK).order_by("position").first()
    names = {o.short_name for o in first.co_units.all()} | {first.lead_unit.short_name}
    assert "区科信局" in names and any(o.kind == "street_office" for o in first.co_units.all())
    membership = Membership.objects.get(user__username="xc.tech")
    tasks = my_tasks(actor=Actor(user=membership.user, membership=membership))
    assert len(tasks) >= 20 and all(t.node.plan_id == xicheng.pk for t in tasks)

    # 大兴's plan of this year is live: its targets count the demo's records, and a unit has reported.
    from kepu.plans.selectors import plan_progress

    daxing = plans["110115"]
    view = plan_progress(daxing)
    live = [tv for n in view.tasks for tv in n.targets if tv.target.is_live]
    assert {tv.target.measure_key for tv in live} == {"activities.held", "orders.completed"}
    assert all(tv.current is not None for tv in live)
    reported = next(n for n in view.tasks if n.node.title == "开展老年人健康科普进社区")
    assert reported.percent == 70  # 28 of 40 lectures
