"""Fifty people claim or grab one order at the same moment: exactly one wins, the others hear "already taken".

Needs PostgreSQL (real row locks and concurrent connections); SQLite serializes writers
and cannot show the race. CI runs these with DATABASE_URL pointing at PostgreSQL.
"""

import threading

import pytest
from django.db import connection, connections
from django.test import Client
from django.urls import reverse

from kepu.accounts.tests.factories import person
from kepu.core.roles import Role
from kepu.orders import services
from kepu.orders.models import Order, OrderEvent, OrderStatus
from kepu.orders.services import AlreadyTaken
from kepu.orders.tests.factories import advance, place_order
from kepu.orgs.choices import OrgKind
from kepu.orgs.tests.factories import OrganizationFactory

pytestmark = [pytest.mark.postgres, pytest.mark.django_db(transaction=True)]
N = 50


@pytest.fixture(autouse=True)
def _needs_postgres():
    if connection.vendor != "postgresql":
        pytest.skip("race tests need PostgreSQL (set DATABASE_URL); SQLite serializes all writers")


def run_together(fns):
    barrier = threading.Barrier(len(fns))
    results = [None] * len(fns)

    def runner(i, fn):
        try:
            barrier.wait()
            results[i] = fn()
        except Exception as exc:  # noqa: BLE001 - the result is what is asserted
            results[i] = exc
        finally:
            connections.close_all()

    threads = [threading.Thread(target=runner, args=(i, fn)) for i, fn in enumerate(fns)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(timeout=120)
    return results


def test_fifty_claims_of_one_order_give_one_winner(oworld):
    a = oworld.a
    order = advance(place_order(a.resident), a, "dispatch")
    staff = [a.unit_staff] + [person(a.unit, Role.UNIT_STAFF) for _ in range(N - 1)]
    results = run_together(
        [lambda s=s: services.order_transition(actor=s, order=order.pk, action="claim") for s in staff]
    )
    winners = [r for r in results if isinstance(r, Order)]
    losers = [r for r in results if isinstance(r, AlreadyTaken)]
    assert len(winners) == 1 and len(losers) == N - 1, [type(r) for r in results]
    assert OrderEvent.objects.filter(order=order, action="claim").count() == 1
    assert Order.objects.get(pk=order.pk).status == OrderStatus.CLAIMED


def test_fifty_grabs_on_the_web_give_one_winner_and_a_clear_answer_to_the_rest(oworld):
    a = oworld.a
    order = advance(place_order(a.resident), a, "claim")
    services.order_transition(actor=a.unit_staff, order=order, action="post_to_pool")
    teams = [OrganizationFactory(name=f"抢单队{i}", kind=OrgKind.VOLUNTEER_ORG, place=a.place) for i in range(N)]
    clients = []
    for team in teams:
        actor = person(team, Role.VOLUNTEER_ORG_STAFF)
        client = Client()
        client.force_login(actor.user)
        session = client.session
        session["kepu_membership_id"] = actor.membership.pk
        session.save()
        clients.append(client)
    url = reverse("orders:act", args=[order.pk, "grab"])
    results = run_together([lambda c=c: c.post(url) for c in clients])
    codes = sorted(r.status_code for r in results)
    assert codes.count(302) == 1, codes
    # The others either see the order gone from the pool (404) or the "already taken" page (409): never a 500.
    assert set(codes) <= {302, 404, 409}, codes
    taken = [r for r in results if r.status_code == 409]
    assert all("已被他人领取" in r.content.decode() for r in taken)
    order.refresh_from_db()
    assert order.status == OrderStatus.ACCEPTED and order.provider_id in {t.pk for t in teams}
    assert OrderEvent.objects.filter(order=order, action="grab").count() == 1
