"""Factories for plans, and a small published plan built through the import services."""

from datetime import date
from decimal import Decimal

import factory

from kepu.plans import services
from kepu.plans.models import NodeKind, Plan, PlanNode, Target

SAMPLE_PLAN = """2026年大兴区科普工作要点

一、加强科普能力建设
（一）开展健康科普进社区活动，全年组织健康讲座不少于20场。（责任单位：区卫健委、区应急管理局、各街道）
（二）做好防灾减灾宣传。（责任单位：区应急局）
二、办好品牌活动
（一）办好全国科普日活动，举办科普活动800场。（责任单位：区科协、区宣传局）
"""


class PlanFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Plan

    title = factory.Sequence(lambda n: f"2026年工作要点{n}")
    year = 2026
    period_start = date(2026, 1, 1)
    period_end = date(2026, 12, 31)
    place = factory.LazyAttribute(lambda o: o.owner.place)


class TaskFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = PlanNode

    kind = NodeKind.TASK
    title = factory.Sequence(lambda n: f"任务{n}")
    position = factory.Sequence(lambda n: n)


class TargetFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Target

    label = "科普活动"
    quantity = Decimal("10")
    unit_of_measure = "场"


def published_plan(office_actor, text: str = SAMPLE_PLAN, skip_unresolved: bool = True) -> Plan:
    """Upload ``text``, leave out what does not resolve, publish: as an office would."""
    draft = services.draft_create(actor=office_actor, data=text.encode(), filename="plan.txt")
    for key, index, _name in services.unresolved_units(draft):
        if skip_unresolved:
            draft = services.draft_choose_unit(
                actor=office_actor, draft=draft, task_key=key, index=index, choice=services.SKIP
            )
    return services.plan_publish(actor=office_actor, draft=draft, title=draft.data["title"], year=2026)
