"""Hours come from real service, once: presence at a need for an activity, delivered orders, or both."""

from datetime import timedelta

import pytest
from django.utils import timezone

from kepu.accounts.tests.factories import person
from kepu.activities.tests.factories import published_activity
from kepu.core import clock
from kepu.core.actor import Actor
from kepu.core.errors import DomainError
from kepu.core.roles import Role
from kepu.orders.models import Order
from kepu.orders.services import order_transition
from kepu.orders.signals import order_delivered
from kepu.orders.tests.factories import add_order_parties, advance, place_order
from kepu.volunteers import selectors, services
from kepu.volunteers.models import HoursEntry, Need, NeedKind, SignUp
from kepu.volunteers.tests.factories import need_for, register

pytestmark = pytest.mark.django_db


def _serve(need, volunteer, staff, minutes):
    """Sign-up, confirmation, sign-in by QR as the need begins and, ``minutes`` later, sign-out."""
    signup = SignUp.objects.create(need=need, volunteer=volunteer)
    services.signup_decide(actor=staff, signup=signup, confirm=True)
    with clock.frozen_at(need.starts_at):
        services.presence_sign_in(actor=staff, need=need, volunteer_token=volunteer.qr_token)
        clock.advance(timedelta(minutes=minutes))
        return services.presence_sign_out(actor=staff, need=need, volunteer_token=volunteer.qr_token)


def _volunteer_of(world, org):
    resident = person(org, Role.VOLUNTEER)
    return register(Actor(user=resident.user, membership=resident.membership))


def test_presence_at_a_need_for_an_activity_credits_activity_hours_once(world):
    a = world.a
    activity = published_activity(a.unit_staff, title="防灾减灾日科普展")
    need = need_for(a.team_staff, a.streets[0], kind=NeedKind.ACTIVITY, ref_id=activity.pk, title="展览讲解", hours=3)
    v = _volunteer_of(world, a.team)

    _serve(need, v, a.team_staff, 150)
    with pytest.raises(DomainError) as again:
        services.presence_sign_out(actor=a.team_staff, need=need, volunteer_token=v.qr_token)

    assert again.value.code == "already_signed_out"
    assert list(HoursEntry.objects.values_list("source", "key", "minutes", "organization")) == [
        ("activity", f"activity:{activity.pk}:need:{need.pk}:{v.pk}", 150, a.team.pk)
    ]
    assert selectors.volunteer_minutes(v) == 150


def test_a_need_names_only_an_activity_or_order_the_organization_can_see(world):
    a, b = world.a, world.b
    draft = published_activity(b.unit_staff, publish=False)
    for kind, ref in (
        (NeedKind.ACTIVITY, draft.pk),
        (NeedKind.ACTIVITY, 999_999),
        (NeedKind.ORDER, 999_999),
        (NeedKind.OTHER, 1),
    ):
        with pytest.raises(DomainError) as exc:
            need_for(a.team_staff, a.streets[0], kind=kind, ref_id=ref)
        assert exc.value.code in ("need_ref_unknown", "need_ref_kind")
    assert not Need.objects.exists()


def test_a_delivered_order_credits_once_even_if_the_signal_comes_again(world, django_capture_on_commit_callbacks):
    w = add_order_parties(world)
    a = w.a
    v = register(a.volunteer)
    with django_capture_on_commit_callbacks(execute=True):
        order = advance(place_order(a.resident), a, "deliver")
    order = Order.objects.get(pk=order.pk)
    order_delivered.send(
        sender=Order, order=order, attendance=dict(order.attendance), volunteers=[(a.volunteer.user.pk, 2.5)]
    )

    assert list(HoursEntry.objects.values_list("source", "key", "minutes", "organization")) == [
        ("order", f"order:{order.pk}:{v.pk}", 150, a.team.pk)
    ]


def test_presence_at_a_need_for_an_order_and_the_delivery_credit_the_order_once(
    world, django_capture_on_commit_callbacks
):
    w = add_order_parties(world)
    a = w.a
    v = register(a.volunteer)
    order = advance(place_order(a.resident), a, "schedule")
    need = need_for(a.team_staff, a.streets[0], kind=NeedKind.ORDER, ref_id=order.pk, title="入户讲解")
    _serve(need, v, a.team_staff, 90)
    with django_capture_on_commit_callbacks(execute=True), clock.frozen_at(need.ends_at):
        order_transition(
            actor=a.team_staff,
            order=order,
            action="deliver",
            attendance={"elderly": 25},
            volunteers=[(a.volunteer.user.pk, 2.5)],
        )

    assert list(HoursEntry.objects.values_list("source", "key", "minutes")) == [
        ("order", f"order:{order.pk}:{v.pk}", 90)
    ]


def test_another_districts_team_cannot_staff_an_order_it_does_not_serve(world):
    w = add_order_parties(world)
    order = advance(place_order(w.a.resident), w.a, "schedule")
    with pytest.raises(DomainError) as exc:
        need_for(w.b.team_staff, w.b.streets[0], kind=NeedKind.ORDER, ref_id=order.pk)
    assert exc.value.code == "need_ref_unknown"


def test_the_team_leader_records_presence_afterwards_within_the_needs_hours(world, client):
    from django.urls import reverse

    from kepu.core.testing.web import login

    a = world.a
    start = (timezone.localtime() - timedelta(days=1)).replace(hour=9, minute=0, second=0, microsecond=0)
    need = need_for(a.team_staff, a.streets[0], starts_at=start, hours=3)
    v = _volunteer_of(world, a.team)
    signup = SignUp.objects.create(need=need, volunteer=v)
    services.signup_decide(actor=a.team_staff, signup=signup, confirm=True)
    url = reverse("volunteers:presence", args=[need.pk])
    login(client, a.team_staff)
    assert "record-presence" in client.get(reverse("volunteers:need", args=[need.pk])).content.decode()

    bad = client.post(
        url, {"action": "record", "signup": signup.pk, "signed_in": "09:00", "signed_out": "15:30"}, follow=True
    )
    assert "时间须在需求时段内" in bad.content.decode()
    assert not HoursEntry.objects.exists()
    client.post(url, {"action": "record", "signup": signup.pk, "signed_in": "09:10", "signed_out": "11:40"})
    assert list(HoursEntry.objects.values_list("minutes", "source")) == [(150, "need")]

    other = type(client)()
    login(other, world.b.team_staff)
    r = other.post(url, {"action": "record", "signup": signup.pk, "signed_in": "09:10", "signed_out": "11:40"})
    assert r.status_code == 404
