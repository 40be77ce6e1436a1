"""Races on PostgreSQL: parallel sign-ups, cancellations and offer expiries never overbook a session.

SQLite serializes writers (IMMEDIATE transactions), so it cannot show a race; these tests
need real concurrent transactions and row locks, and skip themselves elsewhere.
"""

import threading
from concurrent.futures import ThreadPoolExecutor
from datetime import timedelta

import pytest
from django.db import connection
from django.db.models import Sum

from kepu.activities import services
from kepu.activities.models import ACTIVE, HOLDING, Registration, RegistrationStatus
from kepu.activities.tests.factories import published_activity
from kepu.core import clock
from kepu.core.errors import DomainError

pytestmark = [
    pytest.mark.postgres,
    pytest.mark.django_db(transaction=True),
    pytest.mark.skipif(
        connection.vendor != "postgresql",
        reason="needs PostgreSQL: SQLite serializes writers, so there is no race to test",
    ),
]
R = RegistrationStatus


def _people(world, n):
    from kepu.accounts.tests.factories import person
    from kepu.core.roles import Role

    return [person(world.a.committees[i % len(world.a.committees)], Role.RESIDENT) for i in range(n)]


def _run_parallel(jobs, workers=32):
    barrier = threading.Barrier(min(workers, len(jobs)))
    errors = []

    def wrap(job):
        try:
            try:
                barrier.wait(timeout=5)
            except threading.BrokenBarrierError:
                pass
            return job()
        except DomainError as exc:
            return exc
        except Exception as exc:  # noqa: BLE001 - reported below, the test fails on it
            errors.append(exc)
        finally:
            connection.close()

    with ThreadPoolExecutor(max_workers=workers) as pool:
        results = list(pool.map(wrap, jobs))
    assert not errors, errors[:3]
    return results


def _check(session):
    session.refresh_from_db()
    regs = list(Registration.objects.filter(session=session))
    held = sum(r.head_count for r in regs if r.status in HOLDING)
    assert held == session.seats_taken <= session.capacity
    assert session.registered == sum(r.head_count for r in regs if r.status in ACTIVE)
    seqs = [r.waiting_seq for r in regs if r.waiting_seq is not None]
    assert len(seqs) == len(set(seqs))
    promoted = [r.waiting_seq for r in regs if r.promoted_at is not None]
    waiting = [r.waiting_seq for r in regs if r.status == R.WAITING]
    if promoted and waiting:
        assert max(promoted) < min(waiting), "somebody was skipped"
    _check_rollup()
    return regs


def _check_rollup():
    from kepu.activities import rollup
    from kepu.activities.models import DeliveredService, FiguresMonth, FiguresMonthDistrict, Session

    want = rollup.recompute(Session, DeliveredService)
    assert rollup.stored((FiguresMonth, FiguresMonthDistrict)) == (want, rollup.by_district(want))


def test_parallel_changes_to_different_sessions_share_roll_up_rows_exactly(world):
    """Different sessions, so no session lock in common: only the roll-up rows (and their creation) are contended."""
    from kepu.core.populations import Population

    start = clock.now().replace(microsecond=0) + timedelta(days=20)
    acts = [
        published_activity(world.a.unit_staff, capacity=5, starts_at=start + timedelta(minutes=i)) for i in range(8)
    ]
    sessions = [a.sessions.get() for a in acts]
    people = _people(world, 40)
    jobs = [
        lambda p=p, s=sessions[i % 8]: services.registration_create(actor=p, session=s) for i, p in enumerate(people)
    ]
    jobs += [
        lambda s=s: services.walk_in_record(
            actor=world.a.unit_staff, session=s, head_count=3, population=Population.YOUTH
        )
        for s in sessions
    ]
    jobs += [
        lambda i=i: services.delivered_service_record(
            order_id=900 + i % 4,
            place=world.a.place,
            delivered_at=start,
            attendance={"elderly": 2},
            organization=world.a.unit,
        )
        for i in range(8)
    ]
    with clock.frozen_at(start - timedelta(minutes=30)):  # sign-up still open, and the door already is
        _run_parallel(jobs)
    _check_rollup()
    from kepu.activities.models import FiguresMonthDistrict

    totals = FiguresMonthDistrict.objects.filter(district_code=world.a.place.district_code).aggregate(
        r=Sum("registered"), w=Sum("walk_ins"), s=Sum("services"), e=Sum("att_elderly")
    )
    assert (totals["r"], totals["w"], totals["s"], totals["e"]) == (40, 24, 4, 8)


def test_200_parallel_signups_for_50_places(world):
    activity = published_activity(world.a.unit_staff, capacity=50)
    session = activity.sessions.get()
    people = _people(world, 200)
    results = _run_parallel([lambda p=p: services.registration_create(actor=p, session=session) for p in people])
    assert all(isinstance(r, Registration) for r in results)
    regs = _check(session)
    assert sum(r.status == R.CONFIRMED for r in regs) == 50
    assert sum(r.status == R.WAITING for r in regs) == 150
    assert sorted(r.waiting_seq for r in regs if r.status == R.WAITING) == list(range(1, 151))


def test_signups_cancellations_and_offer_expiries_at_the_same_time(world):
    start = clock.now().replace(microsecond=0)
    with clock.frozen_at(start):
        activity = published_activity(
            world.a.unit_staff, capacity=50, offer_hours=2, starts_at=start + timedelta(days=10)
        )
        session = activity.sessions.get()
        early = _people(world, 80)
        first = [services.registration_create(actor=p, session=session) for p in early]
        # Ten places free up: the first ten in line hold offers that will have lapsed.
        for p, r in zip(early[:10], first[:10], strict=True):
            services.registration_cancel(actor=p, registration=r)
        assert Registration.objects.filter(session=session, status=R.OFFERED).count() == 10
        clock.advance(timedelta(hours=3))

        late = _people(world, 200)
        cancellers = list(zip(early[10:30], first[10:30], strict=True))
        jobs = [lambda p=p: services.registration_create(actor=p, session=session) for p in late]
        jobs += [lambda p=p, r=r: services.registration_cancel(actor=p, registration=r) for p, r in cancellers]
        jobs += [services.offers_expire for _ in range(10)]
        jobs.sort(key=lambda j: hash(j) % 97)  # interleave the three kinds
        _run_parallel(jobs)
        services.offers_expire()

        regs = _check(session)
        # Plenty still wait, so every place is held again, and never more than the capacity.
        assert sum(r.head_count for r in regs if r.status in HOLDING) == 50
        assert (
            Registration.objects.filter(session=session, status__in=HOLDING).aggregate(n=Sum("head_count"))["n"] == 50
        )
        assert sum(r.status == R.LAPSED for r in regs) >= 10
        assert sum(r.status == R.CANCELLED for r in regs) == 30
        assert len(regs) == 280
