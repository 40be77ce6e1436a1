"""The workflow through the services: each party's step, reasons, history, deadlines, hand-offs."""

from datetime import timedelta

import pytest
from django.utils import timezone

from kepu.core import clock
from kepu.core.errors import DomainError, NotAllowed
from kepu.core.messaging import LocmemSmsBackend
from kepu.core.models import AuditEntry
from kepu.notifications.models import Notification
from kepu.orders import services, workflow
from kepu.orders.models import Order, OrderEvent, OrderStatus, OrderVolunteer
from kepu.orders.services import AlreadyTaken, WrongState
from kepu.orders.signals import order_delivered
from kepu.orders.tests.factories import advance, place_order

pytestmark = pytest.mark.django_db
S = OrderStatus
T = services.order_transition


def test_the_whole_line_from_order_to_rating_records_every_step(oworld, django_capture_on_commit_callbacks):
    a = oworld.a
    order = place_order(a.resident)
    assert order.status == S.SUBMITTED and order.number.endswith(f"{order.pk:07d}")
    assert order.due_at is not None
    received = []
    order_delivered.connect(lambda **kw: received.append(kw), weak=False, dispatch_uid="t-delivered")
    try:
        with django_capture_on_commit_callbacks(execute=True):
            order = advance(order, a, "close")
    finally:
        order_delivered.disconnect(dispatch_uid="t-delivered")
    assert order.status == S.CLOSED and order.rating == 5
    actions = list(OrderEvent.objects.filter(order=order).values_list("action", flat=True))
    assert actions == ["submit", "dispatch", "claim", "pass_on", "accept", "schedule", "deliver", "rate", "close"]
    assert all(e.actor_id and e.at for e in OrderEvent.objects.filter(order=order))
    assert order.claimed_on_time is True
    assert [r["attendance"] for r in received] == [{"elderly": 25, "youth": 3}]
    assert received[0]["volunteers"][0][0] == a.volunteer.user.pk
    assert OrderVolunteer.objects.get(order=order).hours == 2.5
    assert AuditEntry.objects.filter(action="kepu.orders.claim", object_id=str(order.pk)).exists()


def test_each_party_hears_of_what_needs_them(oworld, django_capture_on_commit_callbacks):
    a = oworld.a
    with django_capture_on_commit_callbacks(execute=True):
        order = place_order(a.resident)
        assert Notification.objects.filter(recipient=a.community_staff.user, kind="kepu.orders.submitted").exists()
        T(actor=a.community_staff, order=order, action="dispatch", unit_id=a.unit.pk)
        assert Notification.objects.filter(recipient=a.unit_staff.user, kind="kepu.orders.dispatched").exists()
        advance(Order.objects.get(pk=order.pk), a, "accept") if False else None
        T(actor=a.unit_staff, order=order, action="claim")
        T(actor=a.unit_staff, order=order, action="pass_on", provider_id=a.team.pk)
        assert Notification.objects.filter(recipient=a.team_staff.user, kind="kepu.orders.passed_on").exists()
        T(actor=a.team_staff, order=order, action="accept")
        T(
            actor=a.team_staff,
            order=order,
            action="schedule",
            scheduled_for=timezone.now() + timedelta(days=2),
            scheduled_place="活动室",
            scheduled_people="2人",
        )
    assert Notification.objects.filter(recipient=a.resident.user, kind="kepu.orders.scheduled").exists()
    assert any(m.to == a.resident.user.phone for m in LocmemSmsBackend.outbox)  # urgent: by SMS too
    assert not Notification.objects.filter(recipient=oworld.b.unit_staff.user).exists()


def test_negative_steps_need_a_reason_and_show_it(oworld):
    a = oworld.a
    order = place_order(a.resident)
    with pytest.raises(DomainError) as exc:
        T(actor=a.community_staff, order=order, action="reject", reason=" ")
    assert exc.value.code == "reason_required"
    assert Order.objects.get(pk=order.pk).status == S.SUBMITTED
    T(actor=a.community_staff, order=order, action="dispatch", unit_id=a.unit.pk)
    T(actor=a.unit_staff, order=order, action="hand_back", reason="不属于本单位职责")
    order.refresh_from_db()
    assert order.status == S.SUBMITTED and order.unit is None
    event = OrderEvent.objects.filter(order=order, action="hand_back").get()
    assert event.reason == "不属于本单位职责"
    T(actor=a.community_staff, order=order, action="dispatch", unit_id=a.unit2.pk)
    with pytest.raises(DomainError):
        T(actor=a.community_staff, order=order, action="redispatch", unit_id=a.unit.pk)  # no reason
    T(actor=a.community_staff, order=order, action="redispatch", unit_id=a.unit.pk, reason="应由卫健委负责")
    assert Order.objects.get(pk=order.pk).unit_id == a.unit.pk


def test_a_unit_passes_on_and_the_organization_declines_then_another_accepts(oworld):
    a = oworld.a
    order = advance(place_order(a.resident), a, "claim")
    T(actor=a.unit_staff, order=order, action="pass_on", provider_id=a.team.pk)
    with pytest.raises(NotAllowed):
        T(actor=a.team2_staff, order=order, action="accept")
    T(actor=a.team_staff, order=order, action="decline", reason="人手不足")
    order.refresh_from_db()
    assert order.provider is None and order.status == S.CLAIMED
    T(actor=a.unit_staff, order=order, action="pass_on", expert_id=a.expert.user.pk)
    T(actor=a.expert, order=order, action="accept")
    assert Order.objects.get(pk=order.pk).status == S.ACCEPTED


def test_the_pool_first_grab_wins_and_the_second_hears_already_taken(oworld):
    a, b = oworld.a, oworld.b
    order = advance(place_order(a.resident), a, "claim")
    T(actor=a.unit_staff, order=order, action="post_to_pool")
    with pytest.raises(NotAllowed):
        T(actor=b.team_staff, order=order, action="grab")  # another district is not eligible
    T(actor=a.team2_staff, order=order, action="grab")
    with pytest.raises(AlreadyTaken) as exc:
        T(actor=a.team_staff, order=order, action="grab")
    assert exc.value.status == 409
    order.refresh_from_db()
    assert order.provider_id == a.team2.pk and order.status == S.ACCEPTED and not order.in_pool


def test_a_second_claim_is_already_taken_and_a_late_one_is_not_on_time(oworld):
    a = oworld.a
    order = place_order(a.resident)
    order = T(actor=a.community_staff, order=order, action="dispatch", unit_id=a.unit.pk)
    colleague = __import__("kepu.accounts.tests.factories", fromlist=["person"]).person(a.unit, "unit_staff")
    with clock.frozen_at(order.claim_due_at + timedelta(hours=1)):  # claimed after its deadline
        T(actor=a.unit_staff, order=order, action="claim")
        with pytest.raises(AlreadyTaken):
            T(actor=colleague, order=order, action="claim")
    assert Order.objects.get(pk=order.pk).claimed_on_time is False


def test_residents_cancel_until_scheduled_and_only_their_own(oworld):
    a = oworld.a
    order = advance(place_order(a.resident), a, "accept")
    with pytest.raises(NotAllowed):
        T(actor=a.neighbour, order=order, action="cancel", reason="不需要了")
    T(actor=a.resident, order=order, action="cancel", reason="时间冲突")
    assert Order.objects.get(pk=order.pk).status == S.CANCELLED
    late = advance(place_order(a.resident), a, "schedule")
    with pytest.raises(WrongState):
        T(actor=a.resident, order=late, action="cancel", reason="不需要了")


def test_staff_order_for_a_resident_who_phoned_and_bad_input_changes_nothing(oworld):
    a = oworld.a
    with pytest.raises(DomainError) as exc:
        place_order(a.community_staff, place=a.communities[0], contact_name="孙大妈", contact_phone="123")
    assert exc.value.code == "phone_invalid"
    with pytest.raises(NotAllowed):
        place_order(
            a.community_staff, place=oworld.b.communities[0], contact_name="孙大妈", contact_phone="13712345678"
        )
    assert Order.objects.count() == 0
    order = place_order(a.community_staff, place=a.communities[0], contact_name="孙大妈", contact_phone="13712345678")
    assert order.resident is None and order.masked_phone == "137****5678"
    assert workflow.is_owner(a.community_staff, order)


def test_the_street_dispatches_an_order_without_community_the_community_cannot(oworld):
    a = oworld.a
    order = place_order(a.street_staff, place=a.streets[0], contact_name="孙大妈", contact_phone="13712345678")
    assert order.community is None
    assert not workflow.allowed(a.community_staff, order, "dispatch")
    T(actor=a.street_staff, order=order, action="dispatch", unit_id=a.unit.pk)


def test_dispatching_to_a_unit_of_another_district_is_refused(oworld):
    a = oworld.a
    order = place_order(a.resident)
    with pytest.raises(DomainError) as exc:
        T(actor=a.community_staff, order=order, action="dispatch", unit_id=oworld.b.unit.pk)
    assert exc.value.code == "unit_invalid"


def test_delivery_needs_attendance_and_only_the_team_can_be_credited(oworld):
    a = oworld.a
    order = advance(place_order(a.resident), a, "schedule")
    with pytest.raises(DomainError):
        T(actor=a.team_staff, order=order, action="deliver", attendance={"elderly": 0})
    with pytest.raises(DomainError) as exc:
        T(
            actor=a.team_staff,
            order=order,
            action="deliver",
            attendance={"elderly": 3},
            volunteers=[(oworld.b.resident.user.pk, 2)],
        )
    assert exc.value.code == "volunteer_invalid"
    assert Order.objects.get(pk=order.pk).status == S.SCHEDULED


def test_contact_phone_full_view_is_audited_and_refused_to_the_unit(oworld):
    a = oworld.a
    order = advance(place_order(a.resident), a, "claim")
    with pytest.raises(NotAllowed):
        services.order_reveal_contact(actor=a.unit_staff, order=order)
    assert services.order_reveal_contact(actor=a.community_staff, order=order) == a.resident.user.phone
    assert AuditEntry.objects.filter(action="kepu.orders.contact_viewed", object_id=str(order.pk)).count() == 1


def test_menu_items_are_published_by_units_and_teams_of_a_district(oworld):
    a = oworld.a
    item = services.service_item_publish(
        actor=a.team_staff, title="急救培训", kind="hands_on", topic="safety", populations=["workers"]
    )
    assert item.district == a.place
    with pytest.raises(NotAllowed):
        services.service_item_publish(actor=a.resident, title="x", kind="lecture", topic="health", populations=[])
    with pytest.raises(DomainError):
        services.service_item_publish(
            actor=a.unit_staff, title="x", kind="lecture", topic="health", populations=["aliens"]
        )
