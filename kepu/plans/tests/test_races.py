"""Under real concurrency (PostgreSQL): a draft published twice at once gives one plan."""

import threading

import pytest
from django.db import connection

from kepu.core.errors import DomainError
from kepu.plans import services
from kepu.plans.models import Plan
from kepu.plans.tests.factories import SAMPLE_PLAN

pytestmark = [pytest.mark.postgres, pytest.mark.django_db(transaction=True)]


def test_double_publish_makes_one_plan(world):
    draft = services.draft_create(actor=world.a.admin, data=SAMPLE_PLAN.encode(), filename="plan.txt")
    for key, index, _name in services.unresolved_units(draft):
        draft = services.draft_choose_unit(
            actor=world.a.admin, draft=draft, task_key=key, index=index, choice=services.SKIP
        )
    barrier = threading.Barrier(2)
    outcomes = []

    def publish():
        try:
            barrier.wait()
            services.plan_publish(actor=world.a.admin, draft=draft, title="计划", year=2026)
            outcomes.append("ok")
        except DomainError as exc:
            outcomes.append(exc.code)
        finally:
            connection.close()

    threads = [threading.Thread(target=publish) for _ in range(2)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert sorted(outcomes) == ["draft_gone", "ok"]
    assert Plan.objects.count() == 1
