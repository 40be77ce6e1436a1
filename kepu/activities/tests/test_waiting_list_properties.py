"""Property-based: any sequence of sign-ups, cancellations, offers, acceptances and clock moves keeps the rules.

* places held (confirmed + offered head counts) equal ``seats_taken`` and never exceed capacity;
* the session's tally of live registrations matches them;
* offers go strictly in waiting-list order: nobody still waiting is ahead of anyone promoted;
* nobody is promoted twice (a lapsed offer is never renewed);
* an offer never outlives its deadline once ``offers_expire`` has run.
"""

from datetime import timedelta

import pytest
from django.db.models import Sum
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from kepu.activities import services
from kepu.activities.models import ACTIVE, HOLDING, Registration, RegistrationStatus
from kepu.activities.tests.factories import published_activity, residents
from kepu.core import clock
from kepu.core.errors import DomainError

pytestmark = pytest.mark.django_db
R = RegistrationStatus

op = st.one_of(
    st.tuples(st.just("signup"), st.integers(0, 11), st.integers(1, 3)),
    st.tuples(st.just("cancel"), st.integers(0, 40), st.just(0)),
    st.tuples(st.just("accept"), st.integers(0, 40), st.just(0)),
    st.tuples(st.just("wait"), st.integers(1, 10), st.just(0)),
    st.tuples(st.just("expire"), st.just(0), st.just(0)),
    st.tuples(st.just("capacity"), st.integers(1, 6), st.just(0)),
)


def check_invariants(session):
    session.refresh_from_db()
    regs = list(Registration.objects.filter(session=session))
    held = sum(r.head_count for r in regs if r.status in HOLDING)
    assert held == session.seats_taken <= session.capacity
    assert session.registered == sum(r.head_count for r in regs if r.status in ACTIVE), "tally drifted"
    promoted = [r.waiting_seq for r in regs if r.promoted_at is not None]
    still_waiting = [r.waiting_seq for r in regs if r.status == R.WAITING]
    if promoted and still_waiting:
        assert max(promoted) < min(still_waiting), "someone was skipped"
    for r in regs:
        if r.status == R.OFFERED:
            assert r.promoted_at is not None and r.offer_expires_at is not None
        if r.status == R.WAITING:
            assert r.promoted_at is None
    seqs = [r.waiting_seq for r in regs if r.waiting_seq is not None]
    assert len(seqs) == len(set(seqs))


@settings(
    max_examples=40, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow]
)
@given(ops=st.lists(op, min_size=1, max_size=30))
def test_waiting_list_rules_hold_under_any_sequence(world, ops):
    start = clock.now().replace(microsecond=0)
    people = world.__dict__.setdefault("_pool", residents(world, 12))
    staff = world.a.school_staff
    with clock.frozen_at(start):
        activity = published_activity(
            world.a.unit_staff, capacity=3, offer_hours=4, starts_at=start + timedelta(days=30)
        )
        session = activity.sessions.get()
        made: list[Registration] = []
        for kind, a, b in ops:
            try:
                if kind == "signup":
                    if b == 1:
                        made.append(services.registration_create(actor=people[a], session=session))
                    else:
                        made.append(
                            services.registration_create(
                                actor=staff, session=session, on_behalf=True, name="组", head_count=b
                            )
                        )
                elif kind == "cancel" and made:
                    r = made[a % len(made)]
                    services.registration_cancel(
                        actor=staff if r.user_id is None else _actor(people, r), registration=r
                    )
                elif kind == "accept" and made:
                    r = made[a % len(made)]
                    if r.user_id is not None:
                        services.registration_accept_offer(actor=_actor(people, r), registration=r)
                elif kind == "wait":
                    clock.advance(timedelta(hours=a))
                elif kind == "expire":
                    services.offers_expire()
                    now = clock.now()
                    assert not Registration.objects.filter(
                        session=session, status=R.OFFERED, offer_expires_at__lte=now
                    ).exists()
                elif kind == "capacity":
                    services.session_set_capacity(actor=world.a.unit_staff, session=session, capacity=a)
            except DomainError:
                pass
            check_invariants(session)
        total = Registration.objects.filter(session=session, status__in=HOLDING).aggregate(n=Sum("head_count"))["n"]
        assert (total or 0) <= session.capacity


def _actor(people, registration):
    return next(p for p in people if p.user.pk == registration.user_id)
