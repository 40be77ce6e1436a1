"""Races on PostgreSQL: kits are never lent beyond their stock, two workers never tell anyone twice.

SQLite serializes writers (IMMEDIATE transactions), so it cannot show a race; these tests need real
concurrent transactions and row locks, and skip themselves elsewhere.
"""

import threading
from concurrent.futures import ThreadPoolExecutor
from datetime import timedelta

import pytest
from django.db import connection

from kepu.accounts.models import User
from kepu.core import clock
from kepu.core.errors import DomainError
from kepu.notifications.models import Notification
from kepu.resources import selectors, services
from kepu.resources.models import Loan, Push
from kepu.resources.tests.factories import add_reviewers, published

pytestmark = [
    pytest.mark.postgres,
    pytest.mark.django_db(transaction=True),
    pytest.mark.skipif(connection.vendor != "postgresql", reason="needs PostgreSQL: SQLite serializes writers"),
]


def _parallel(jobs):
    barrier = threading.Barrier(len(jobs))
    errors = []

    def wrap(job):
        try:
            barrier.wait(timeout=10)
            return job()
        except DomainError as exc:
            return exc
        except Exception as exc:  # noqa: BLE001 - the test fails on it below
            errors.append(exc)
        finally:
            connection.close()

    with ThreadPoolExecutor(max_workers=len(jobs)) as pool:
        results = list(pool.map(wrap, jobs))
    assert not errors, errors[:3]
    return results


def test_parallel_lending_stays_within_the_stock(world):
    a = add_reviewers(world).a
    kit = published(a, kind="kit", stock="5")
    day = (clock.now() + timedelta(days=2)).date().isoformat()
    borrowers = [a.school_staff, a.base_staff, a.team_staff, a.street_staff, a.community_staff, b_admin(world)]
    loans = [
        services.loan_request(
            actor=who, resource=kit, data={"quantity": 2, "wanted_from": day, "wanted_until": day, "purpose": "课"}
        )
        for who in borrowers
    ]
    results = _parallel(
        [lambda loan=loan: services.loan_transition(actor=a.unit_staff, loan=loan, action="lend") for loan in loans]
    )
    lent = [r for r in results if isinstance(r, Loan)]
    assert len(lent) == 2  # 2 + 2 of 5; the others were refused
    assert selectors.stock_of(kit).on_loan == 4


def b_admin(world):
    return world.b.admin


def test_two_workers_on_one_push_tell_everyone_once(world, monkeypatch):
    a = add_reviewers(world).a
    monkeypatch.setattr(services, "_enqueue_push", lambda pk: None)  # the workers below run it, not the commit
    community = a.streets[0].children.first()
    User.objects.bulk_create(
        [User(username=f"race-{i}", key_population="elderly", home_place=community) for i in range(500)]
    )
    piece = published(a)
    push = services.push_create(
        actor=a.admin, resource=piece, data={"populations": ["elderly"], "places": [a.place.code]}
    )
    assert Push.objects.get(pk=push.pk).sent == 0
    _parallel([lambda: services.push_run(push.pk, batch=20) for _ in range(4)])
    push = Push.objects.get(pk=push.pk)
    told = Notification.objects.filter(kind="kepu.resources.push")
    assert told.count() == told.values("recipient").distinct().count() == 500
    assert push.sent == 500 and push.status == "done"
