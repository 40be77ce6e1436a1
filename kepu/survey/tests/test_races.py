"""Concurrency on PostgreSQL: double starts and double decisions resolve to one outcome."""

import threading

import pytest
from django.db import connection

from kepu.core.errors import DomainError
from kepu.survey import services
from kepu.survey.models import Response, ResponseStatus
from kepu.survey.tests.factories import fill, open_round

REVIEW_CODES = ["kepu.survey.response.approve", "kepu.survey.response.reject", "kepu.survey.response.hold"]

pytestmark = [pytest.mark.postgres, pytest.mark.django_db(transaction=True)]


def run_together(*calls):
    barrier = threading.Barrier(len(calls))
    outcomes = []

    def worker(call):
        try:
            barrier.wait()
            outcomes.append(call())
        except DomainError as exc:
            outcomes.append(exc.code)
        finally:
            connection.close()

    threads = [threading.Thread(target=worker, args=(c,)) for c in calls]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    return outcomes


def test_a_resident_starting_twice_at_once_gets_one_questionnaire(world):
    r = open_round(world)
    me = world.a.resident

    def start():
        return services.response_start(
            actor=me, round_=r, community=world.a.communities[0], sex="male", age=40, education="college", area="urban"
        ).pk

    outcomes = run_together(start, start, start)
    assert Response.objects.filter(respondent=me.user).count() == 1
    assert sorted(o for o in outcomes if isinstance(o, str)) == ["survey_already_answered"] * 2


def test_two_offices_deciding_at_once_leave_one_consistent_state(world):
    import random

    r = open_round(world)
    entry = fill(world.a.street_staff, r, world.a.communities[0], rng=random.Random(1))

    def approve():
        return services.response_review(actor=world.a.admin, response=entry, decision=ResponseStatus.APPROVED).status

    def hold():
        return services.response_review(actor=world.city_admin, response=entry, decision=ResponseStatus.ON_HOLD).status

    outcomes = run_together(approve, hold)
    entry.refresh_from_db()
    assert entry.status in (ResponseStatus.APPROVED, ResponseStatus.ON_HOLD)
    from kepu.core.models import AuditEntry

    log = list(AuditEntry.objects.filter(action__in=REVIEW_CODES).order_by("id"))
    # Each decision that went through was taken from the state the previous one left.
    assert log[0].data["from"] == "submitted"
    assert all(later.data["from"] == earlier.data["to"] for earlier, later in zip(log, log[1:], strict=False))
    assert log[-1].data["to"] == entry.status
    assert len(log) == len([o for o in outcomes if o in ResponseStatus.values])
