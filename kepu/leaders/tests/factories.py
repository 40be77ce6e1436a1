"""Records for the leaders' tests, made through the apps' services as users make them."""

from types import SimpleNamespace

from kepu.orders.tests.factories import advance, place_order


def some_work(w) -> SimpleNamespace:
    """In district A: one order rated (delivered to 28 people, 2.5 volunteer hours), one dispatched, one waiting;
    in district B: one order rated. A's orders are all in its first street."""
    from django.test import TestCase

    from kepu.volunteers.models import Volunteer
    from kepu.volunteers.tests.factories import register

    a, b = w.a, w.b
    for d in (a, b):  # the volunteer who serves the orders has a profile, so the hours go to the ledger
        if not Volunteer.objects.filter(user=d.volunteer.user).exists():
            register(d.volunteer)
    # Deliveries are counted by activities and credited by volunteers after the commit.
    with TestCase.captureOnCommitCallbacks(execute=True):
        return SimpleNamespace(
            a_done=advance(place_order(a.resident), a, "rate"),
            a_dispatched=advance(place_order(a.resident), a, "dispatch"),
            a_waiting=place_order(a.resident),
            b_done=advance(place_order(b.resident), b, "rate"),
        )
