"""Registration, personal data, joining, needs and presence: what the data must be after each step."""

from datetime import timedelta

import pytest
from django.db import connection
from django.utils import timezone

from kepu.accounts.models import Membership
from kepu.core import clock
from kepu.core.actor import Actor
from kepu.core.errors import DomainError, NotAllowed
from kepu.core.models import AuditEntry
from kepu.core.pii import id_check_digit
from kepu.core.roles import Role
from kepu.volunteers import selectors, services
from kepu.volunteers.models import HoursEntry, JoinStatus, SignUpStatus, Volunteer
from kepu.volunteers.tests.factories import make_id_number, member_volunteer, need_for, register

pytestmark = pytest.mark.django_db


def _swap_check(idn: str) -> str:
    wrong = "0" if idn[-1] != "0" else "1"
    return idn[:-1] + wrong


class TestIdNumbers:
    def test_good_number_is_accepted_and_upper_cased(self, world):
        first17 = "11010519491231002"
        good = first17 + id_check_digit(first17)
        assert services.clean_id_number(good.lower()) == good.upper()

    @pytest.mark.parametrize(
        "bad, code",
        [
            ("110105194912310029", "id_check_digit"),
            ("99010519491231002X", "id_region"),
            ("11990019491231002X", "id_region"),
            ("110105194902300021", "id_date"),
            ("110105209901010021", "id_date"),
            ("11010519491231002", "id_shape"),
            ("11010519491231002Y", "id_shape"),
        ],
    )
    def test_bad_numbers_are_refused_with_a_reason(self, world, bad, code):
        with pytest.raises(DomainError) as exc:
            services.volunteer_register(actor=world.a.resident, real_name="张三", id_number=bad, consent_version="test")
        assert exc.value.code == code
        assert not Volunteer.objects.exists()

    def test_a_wrong_check_digit_is_refused(self, world):
        with pytest.raises(DomainError) as exc:
            register(world.a.resident, id_number=_swap_check(make_id_number(7)))
        assert exc.value.code == "id_check_digit"

    def test_one_id_number_registers_once(self, world):
        register(world.a.resident, id_number=make_id_number(5))
        with pytest.raises(DomainError) as exc:
            register(world.b.resident, id_number=make_id_number(5))
        assert exc.value.code == "id_taken"


class TestPersonalData:
    def test_id_number_and_phone_are_encrypted_at_rest(self, world):
        idn = make_id_number(11)
        v = register(world.a.resident, id_number=idn, phone="13712345678")
        with connection.cursor() as cursor:
            cursor.execute("SELECT id_number, phone, id_index FROM volunteers_volunteer WHERE id = %s", [v.pk])
            raw_id, raw_phone, index = cursor.fetchone()
        assert idn not in raw_id and idn[-8:] not in raw_id
        assert "13712345678" not in raw_phone and "5678" not in raw_phone
        assert idn not in index
        assert Volunteer.objects.get(pk=v.pk).id_number == idn

    def test_masks(self, world):
        v = register(world.a.resident, id_number=make_id_number(12), phone="13812341234")
        assert v.masked_phone == "138****1234"
        assert v.masked_id_number == v.id_number[:4] + "*" * 10 + v.id_number[-4:]

    def test_every_full_view_is_audited_and_refused_outside_scope(self, world):
        staff = world.a.team_staff
        resident, v = member_volunteer(world.a.team, staff)
        before = AuditEntry.objects.filter(action="kepu.volunteers.pii_viewed").count()
        assert services.volunteer_reveal(actor=staff, volunteer=v, field="id_number") == v.id_number
        assert services.volunteer_reveal(actor=world.a.admin, volunteer=v, field="phone") == v.phone
        assert services.volunteer_reveal(actor=resident, volunteer=v, field="id_number") == v.id_number
        entries = AuditEntry.objects.filter(action="kepu.volunteers.pii_viewed").order_by("id")
        assert entries.count() == before + 3
        assert [e.data["field"] for e in entries][-3:] == ["id_number", "phone", "id_number"]
        for outsider in (
            world.b.team_staff,
            world.b.admin,
            world.a.unit_staff,
            world.a.neighbour,
            world.a.community_staff,
        ):
            with pytest.raises(NotAllowed):
                services.volunteer_reveal(actor=outsider, volunteer=v, field="id_number")
        assert AuditEntry.objects.filter(action="kepu.volunteers.pii_viewed").count() == before + 3


class TestJoining:
    def test_request_then_approval_makes_a_member(self, world):
        v = register(world.a.resident)
        jr = services.join_request_create(actor=world.a.resident, volunteer=v, organization=world.a.team)
        with pytest.raises(DomainError):
            services.join_request_create(actor=world.a.resident, volunteer=v, organization=world.a.team)
        with pytest.raises(NotAllowed):
            services.join_request_decide(actor=world.b.team_staff, join_request=jr, approve=True)
        services.join_request_decide(actor=world.a.team_staff, join_request=jr, approve=True)
        jr.refresh_from_db()
        assert jr.status == JoinStatus.APPROVED
        assert Membership.objects.filter(
            user=world.a.resident.user, organization=world.a.team, role=Role.VOLUNTEER, is_active=True
        ).exists()
        assert selectors.member_organizations(v) == [world.a.team]

    def test_rejection_needs_a_reason(self, world):
        v = register(world.a.resident)
        jr = services.join_request_create(actor=world.a.resident, volunteer=v, organization=world.a.team)
        with pytest.raises(DomainError) as exc:
            services.join_request_decide(actor=world.a.team_staff, join_request=jr, approve=False)
        assert exc.value.code == "reason_required"
        services.join_request_decide(actor=world.a.team_staff, join_request=jr, approve=False, reason="人数已满")
        assert not Membership.objects.filter(user=world.a.resident.user, role=Role.VOLUNTEER).exists()

    def test_only_volunteer_organizations_take_volunteers(self, world):
        v = register(world.a.resident)
        with pytest.raises(DomainError):
            services.join_request_create(actor=world.a.resident, volunteer=v, organization=world.a.unit)


class TestNeedsAndPresence:
    def test_sign_up_confirm_standby_and_promotion(self, world):
        staff = world.a.team_staff
        need = need_for(staff, world.a.place, slots=1, standby=1)
        (a1, v1), (a2, v2), (a3, v3) = (member_volunteer(world.a.team, staff) for _ in range(3))
        s1, s2, s3 = (services.signup_create(actor=a, need=need) for a in (a1, a2, a3))
        assert services.signup_decide(actor=staff, signup=s1, confirm=True).status == SignUpStatus.CONFIRMED
        assert services.signup_decide(actor=staff, signup=s2, confirm=True).status == SignUpStatus.STANDBY
        with pytest.raises(DomainError) as exc:
            services.signup_decide(actor=staff, signup=s3, confirm=True)
        assert exc.value.code == "need_full"
        services.signup_withdraw(actor=a1, signup=s1)
        s2.refresh_from_db()
        assert s2.status == SignUpStatus.CONFIRMED

    def test_non_members_cannot_sign_up(self, world):
        need = need_for(world.a.team_staff, world.a.place)
        register(world.a.resident)
        with pytest.raises(DomainError) as exc:
            services.signup_create(actor=world.a.resident, need=need)
        assert exc.value.code == "not_member"

    def test_required_training_is_enforced(self, world):
        staff = world.a.team_staff
        training = services.training_create(actor=staff, title="急救培训", hours=4)
        session = services.training_session_create(actor=staff, training=training, starts_at=timezone.now())
        need = need_for(staff, world.a.place, required_training=training)
        actor, v = member_volunteer(world.a.team, staff)
        with pytest.raises(DomainError) as exc:
            services.signup_create(actor=actor, need=need)
        assert exc.value.code == "training_required"
        services.training_attendance_record(actor=staff, session=session, volunteer=v)
        assert services.signup_create(actor=actor, need=need).status == SignUpStatus.APPLIED

    def test_qr_sign_in_and_out_credits_the_minutes_once(self, world):
        staff = world.a.team_staff
        need = need_for(staff, world.a.place, hours=3)
        actor, v = member_volunteer(world.a.team, staff)
        signup = services.signup_create(actor=actor, need=need)
        services.signup_decide(actor=staff, signup=signup, confirm=True)
        t0 = need.starts_at
        with pytest.raises(DomainError) as exc:  # the need has not begun: no presence for a time to come
            services.presence_sign_in(actor=staff, need=need, volunteer_token=v.qr_token, at=t0)
        assert exc.value.code == "presence_future"
        with clock.frozen_at(t0 + timedelta(hours=4)):
            with pytest.raises(NotAllowed):
                services.presence_sign_in(actor=world.b.team_staff, need=need, volunteer_token=v.qr_token, at=t0)
            services.presence_sign_in(actor=staff, need=need, volunteer_token=v.qr_token, at=t0)
            signup = services.presence_sign_out(
                actor=staff, need=need, volunteer_token=v.qr_token, at=t0 + timedelta(minutes=150)
            )
            assert signup.minutes == 150
            with pytest.raises(DomainError):
                services.presence_sign_out(
                    actor=staff, need=need, volunteer_token=v.qr_token, at=t0 + timedelta(minutes=170)
                )
        assert list(HoursEntry.objects.values_list("minutes", "key")) == [(150, f"need:{need.pk}:{v.pk}")]
        assert selectors.volunteer_minutes(v) == 150

    def test_the_team_leader_may_sign_people_in(self, world):
        staff = world.a.team_staff
        leader_actor, leader_v = member_volunteer(world.a.team, staff)
        need = need_for(staff, world.a.place, leader=leader_actor.user)
        actor, v = member_volunteer(world.a.team, staff)
        signup = services.signup_create(actor=actor, need=need)
        services.signup_decide(actor=staff, signup=signup, confirm=True)
        with clock.frozen_at(need.starts_at):
            services.presence_sign_in(actor=leader_actor, need=need, volunteer_token=v.qr_token)
            with pytest.raises(NotAllowed):
                services.presence_sign_in(actor=actor, need=need, volunteer_token=leader_v.qr_token)

    def test_only_presence_within_the_needs_hours_counts(self, world):
        """Hours are credited only for presence inside the need's window, never before it could have happened."""
        staff = world.a.team_staff
        need = need_for(staff, world.a.place, hours=2)
        actor, v = member_volunteer(world.a.team, staff)
        services.signup_decide(actor=staff, signup=services.signup_create(actor=actor, need=need), confirm=True)
        with clock.frozen_at(need.starts_at - timedelta(hours=3)):
            with pytest.raises(DomainError) as exc:  # days or hours too early: the door is not open
                services.presence_sign_in(actor=staff, need=need, volunteer_token=v.qr_token)
            assert exc.value.code == "presence_not_open"
        with clock.frozen_at(need.starts_at - timedelta(minutes=40)):  # early, to set up
            services.presence_sign_in(actor=staff, need=need, volunteer_token=v.qr_token)
        with clock.frozen_at(need.ends_at + timedelta(minutes=50)):  # late, to tidy up
            signup = services.presence_sign_out(actor=staff, need=need, volunteer_token=v.qr_token)
        assert signup.minutes == 120  # the need's two hours, not the three and a half spent there
        assert list(HoursEntry.objects.values_list("minutes", flat=True)) == [120]


class TestReportsAndAnonymization:
    def test_report_approved_credits_rejected_does_not(self, world):
        staff = world.a.team_staff
        actor, v = member_volunteer(world.a.team, staff)
        r1 = services.hours_report_create(
            actor=actor, organization=world.a.team, served_on=timezone.localdate(), minutes=90, description="社区讲座"
        )
        r2 = services.hours_report_create(
            actor=actor, organization=world.a.team, served_on=timezone.localdate(), minutes=60, description="重复上报"
        )
        with pytest.raises(NotAllowed):
            services.hours_report_decide(actor=world.b.team_staff, report=r1, approve=True)
        services.hours_report_decide(actor=staff, report=r1, approve=True)
        services.hours_report_decide(actor=staff, report=r2, approve=False, reason="与活动签到重复")
        assert selectors.volunteer_minutes(v) == 90
        with pytest.raises(DomainError):
            services.hours_report_decide(actor=staff, report=r1, approve=True)
        assert selectors.volunteer_minutes(v) == 90

    def test_anonymized_volunteer_hours_still_count(self, world):
        staff = world.a.team_staff
        actor, v = member_volunteer(world.a.team, staff, phone="13711112222")
        services.credit_hours(
            volunteer=v,
            organization=world.a.team,
            minutes=120,
            source="import",
            key=("import", 1, v.pk),
            served_on=timezone.localdate(),
        )
        services.volunteer_anonymize(actor=actor, volunteer=v)
        v.refresh_from_db()
        assert v.real_name == "" and v.id_number == "" and v.phone == "" and v.id_index is None
        assert v.anonymized_at is not None
        assert selectors.organization_minutes(world.a.team.pk) == 120
        user = type(actor.user).objects.get(pk=actor.user.pk)
        assert user.name == "" and user.phone == "" and not user.is_active
        assert not selectors.volunteer_list(actor=staff).filter(pk=v.pk).exists()
        # The ID number is free again: the same person may register anew later.
        assert Volunteer.objects.filter(id_index__isnull=True).count() == 1


def test_experts_phone_is_for_offices_only_and_audited(world):
    e = services.expert_create(
        actor=world.a.admin,
        name="刘教授",
        field="life",
        district=world.a.place,
        phone="13600001111",
        audiences=["elderly"],
        is_emergency=True,
        emergency_fields=["public_health"],
    )
    assert services.expert_reveal_phone(actor=world.a.admin, expert=e) == "13600001111"
    assert AuditEntry.objects.filter(action="kepu.volunteers.expert.pii_viewed", object_id=str(e.pk)).count() == 1
    for outsider in (world.b.admin, world.a.team_staff, world.a.unit_staff):
        with pytest.raises(NotAllowed):
            services.expert_reveal_phone(actor=outsider, expert=e)
    with pytest.raises(NotAllowed):
        services.expert_create(actor=world.b.admin, name="x", field="life", district=world.a.place)


def test_expert_invitation_and_outcome(world):
    from kepu.activities.tests.factories import published_activity

    e = services.expert_create(actor=world.a.admin, name="刘教授", field="life", district=world.a.place)
    activity = published_activity(world.a.unit_staff)
    for target, number in (("order", 42), ("activity", 999_999)):
        with pytest.raises(DomainError) as unknown:
            services.expert_invite(actor=world.a.unit_staff, expert=e, target=target, target_id=number)
        assert unknown.value.code == "need_ref_unknown"
    inv = services.expert_invite(actor=world.a.unit_staff, expert=e, target="activity", target_id=activity.pk)
    with pytest.raises(DomainError):
        services.expert_invite(actor=world.a.unit_staff, expert=e, target="activity", target_id=activity.pk)
    with pytest.raises(NotAllowed):
        services.invitation_record_outcome(actor=world.b.unit_staff, invitation=inv, outcome="accepted")
    services.invitation_record_outcome(actor=world.a.unit_staff, invitation=inv, outcome="delivered", note="好评")
    inv.refresh_from_db()
    assert inv.outcome == "delivered"
    with pytest.raises(NotAllowed):
        services.expert_invite(actor=world.a.resident, expert=e, target="activity", target_id=activity.pk)


def test_plain_residents_cannot_act_as_anyone(world):
    with pytest.raises(NotAllowed):
        services.volunteer_register(actor=Actor(), real_name="x", id_number=make_id_number(1))


def test_an_invited_expert_is_told_in_their_inbox(world, django_capture_on_commit_callbacks):
    from kepu.activities.tests.factories import published_activity
    from kepu.notifications.models import Notification
    from kepu.volunteers.tests.factories import ExpertFactory

    activity = published_activity(world.a.unit_staff, title="防汛科普讲座")
    expert = ExpertFactory(user=world.a.expert.user, district=world.a.place)
    with django_capture_on_commit_callbacks(execute=True):
        services.expert_invite(actor=world.a.admin, expert=expert, target="activity", target_id=activity.pk)
    told = Notification.objects.get(recipient=world.a.expert.user, kind="kepu.volunteers.expert.invited")
    assert str(activity.pk) in told.title and told.url == f"/activities/{activity.pk}/"
