"""Services: publishing, review, sign-up within capacity, the waiting list with timed offers, check-in."""

from datetime import date, timedelta

import pytest

from kepu.activities import selectors, services
from kepu.activities.models import ActivityStatus, Registration, RegistrationStatus, Session, Theme
from kepu.activities.tests.factories import after_the_session, at_the_door, published_activity, residents
from kepu.core import clock
from kepu.core.audit import AuditEntry
from kepu.core.errors import Conflict, DomainError, NotAllowed
from kepu.core.messaging import LocmemSmsBackend
from kepu.core.populations import Population

pytestmark = pytest.mark.django_db
R = RegistrationStatus


def reload(obj):
    obj.refresh_from_db()
    return obj


def test_description_is_sanitized_and_activity_needs_a_session_to_publish(world):
    a = services.activity_create(
        actor=world.a.unit_staff,
        organization=world.a.unit,
        title="讲座",
        description='<p onclick="x()">好<script>alert(1)</script></p>',
    )
    assert a.description == "<p>好</p>"
    assert a.status == ActivityStatus.DRAFT
    with pytest.raises(DomainError) as err:
        services.activity_submit(actor=world.a.unit_staff, activity=a)
    assert err.value.code == "no_sessions"


def test_staff_cannot_publish_for_another_organization(world):
    with pytest.raises(NotAllowed):
        services.activity_create(actor=world.a.unit_staff, organization=world.a.unit2, title="x")
    with pytest.raises(NotAllowed):
        services.activity_create(actor=world.a.resident, organization=world.a.committees[0], title="x")
    # A district office may publish for organizations of its district, not of another.
    services.activity_create(actor=world.a.admin, organization=world.a.unit2, title="x")
    with pytest.raises(NotAllowed):
        services.activity_create(actor=world.a.admin, organization=world.b.unit, title="x")


def test_review_required_by_the_district(world):
    services.district_settings_set(actor=world.a.admin, district=world.a.place, review_required=True)
    with pytest.raises(NotAllowed):
        services.district_settings_set(actor=world.b.admin, district=world.a.place, review_required=False)
    a = published_activity(world.a.unit_staff)
    assert a.status == ActivityStatus.IN_REVIEW
    with pytest.raises(NotAllowed):
        services.activity_review(actor=world.b.admin, activity=a, approve=True)
    with pytest.raises(DomainError):
        services.activity_review(actor=world.a.admin, activity=a, approve=False, note=" ")
    a = services.activity_review(actor=world.a.admin, activity=a, approve=False, note="请补充地点")
    assert a.status == ActivityStatus.REJECTED
    a = services.activity_submit(actor=world.a.unit_staff, activity=a)
    a = services.activity_review(actor=world.a.admin, activity=a, approve=True)
    assert a.status == ActivityStatus.PUBLISHED
    # The office's own activities need no review; district B does not require it.
    assert published_activity(world.a.admin).status == ActivityStatus.PUBLISHED
    assert published_activity(world.b.unit_staff).status == ActivityStatus.PUBLISHED
    assert AuditEntry.objects.filter(action="kepu.activities.reject").exists()


def test_signup_within_capacity_then_waiting_list(world):
    a = published_activity(world.a.unit_staff, capacity=2)
    session = a.sessions.get()
    people = residents(world, 4)
    regs = [services.registration_create(actor=p, session=session, population=Population.ELDERLY) for p in people]
    assert [r.status for r in regs] == [R.CONFIRMED, R.CONFIRMED, R.WAITING, R.WAITING]
    assert [r.waiting_seq for r in regs[2:]] == [1, 2]
    assert reload(session).seats_taken == 2
    with pytest.raises(Conflict) as err:
        services.registration_create(actor=people[0], session=session)
    assert err.value.code == "already_registered"


def test_group_registration_on_behalf_and_group_limits(world):
    a = published_activity(world.a.unit_staff, capacity=40)
    session = a.sessions.get()
    teacher = world.a.school_staff
    reg = services.registration_create(
        actor=teacher, session=session, on_behalf=True, name="三年级二班", head_count=35, population=Population.YOUTH
    )
    assert (reg.status, reg.user, reg.registered_by) == (R.CONFIRMED, None, teacher.user)
    assert reload(session).seats_left == 5
    with pytest.raises(DomainError) as err:
        services.registration_create(actor=teacher, session=session, on_behalf=True, name="x", head_count=41)
    assert err.value.code == "group_too_large"
    with pytest.raises(DomainError):
        services.registration_create(actor=world.a.resident, session=session, head_count=3)
    with pytest.raises(NotAllowed):
        services.registration_create(actor=world.a.resident, session=session, on_behalf=True, name="x")
    # A group that does not fit waits; a single person behind it waits too (nobody jumps the queue).
    g = services.registration_create(actor=teacher, session=session, on_behalf=True, name="四年级", head_count=6)
    solo = services.registration_create(actor=world.a.resident, session=session)
    assert (g.status, solo.status) == (R.WAITING, R.WAITING)


def test_signup_closed_outside_window_and_for_drafts(world):
    a = published_activity(world.a.unit_staff, publish=False)
    session = a.sessions.get()
    with pytest.raises(DomainError) as err:
        services.registration_create(actor=world.a.resident, session=session)
    assert err.value.code == "registration_closed"
    services.activity_submit(actor=world.a.unit_staff, activity=a)
    with clock.frozen_at(session.starts_at + timedelta(minutes=1)):
        with pytest.raises(DomainError):
            services.registration_create(actor=world.a.resident, session=session)


def test_approval_needed(world):
    a = published_activity(world.a.unit_staff, capacity=1, needs_approval=True)
    session = a.sessions.get()
    r1, r2 = (services.registration_create(actor=p, session=session) for p in residents(world, 2))
    assert (r1.status, r2.status) == (R.PENDING, R.PENDING)
    assert reload(session).seats_taken == 0
    with pytest.raises(NotAllowed):
        services.registration_decide(actor=world.b.admin, registration=r1, approve=True)
    assert services.registration_decide(actor=world.a.unit_staff, registration=r1, approve=True).status == R.CONFIRMED
    assert services.registration_decide(actor=world.a.unit_staff, registration=r2, approve=True).status == R.WAITING


def test_waiting_list_offers_expire_and_pass_on_in_order_with_a_controllable_clock(
    world, django_capture_on_commit_callbacks
):
    """The next in line gets N hours; a lapsed offer passes on; nobody is skipped or promoted twice."""
    start = clock.now().replace(microsecond=0)
    with clock.frozen_at(start):
        a = published_activity(world.a.unit_staff, capacity=1, offer_hours=6, starts_at=start + timedelta(days=5))
        session = a.sessions.get()
        first, *queue = residents(world, 4)
        holder = services.registration_create(actor=first, session=session)
        waiting = [services.registration_create(actor=p, session=session) for p in queue]
        assert [w.waiting_seq for w in waiting] == [1, 2, 3]

        with django_capture_on_commit_callbacks(execute=True):
            services.registration_cancel(actor=first, registration=holder)
        w1, w2, w3 = (reload(w) for w in waiting)
        assert (w1.status, w2.status, w3.status) == (R.OFFERED, R.WAITING, R.WAITING)
        assert w1.offer_expires_at == start + timedelta(hours=6)
        assert reload(session).seats_taken == 1
        assert LocmemSmsBackend.outbox[-1].meta["kind"] == "activity_offer"
        assert LocmemSmsBackend.outbox[-1].to == queue[0].user.phone

        clock.advance(timedelta(hours=5, minutes=59))
        assert services.offers_expire() == 0
        assert reload(w1).status == R.OFFERED

        clock.advance(timedelta(minutes=1))
        assert services.offers_expire() == 1
        w1, w2, w3 = (reload(w) for w in waiting)
        assert (w1.status, w2.status, w3.status) == (R.LAPSED, R.OFFERED, R.WAITING)
        assert w2.offer_expires_at == clock.now() + timedelta(hours=6)

        # The lapsed one cannot take it back, and accepting late passes the offer on as well.
        with pytest.raises(Conflict):
            services.registration_accept_offer(actor=queue[0], registration=w1)
        clock.advance(timedelta(hours=7))
        with pytest.raises(Conflict) as err:
            services.registration_accept_offer(actor=queue[1], registration=w2)
        assert err.value.code == "offer_expired"
        w1, w2, w3 = (reload(w) for w in waiting)
        assert (w1.status, w2.status, w3.status) == (R.LAPSED, R.LAPSED, R.OFFERED)

        confirmed = services.registration_accept_offer(actor=queue[2], registration=w3)
        assert confirmed.status == R.CONFIRMED and confirmed.offer_expires_at is None
        assert reload(session).seats_taken == 1
        promoted = Registration.objects.filter(session=session, promoted_at__isnull=False)
        assert sorted(promoted.values_list("waiting_seq", flat=True)) == [1, 2, 3]
        assert services.offers_expire() == 0


def test_offer_is_not_accepted_by_someone_else(world):
    a = published_activity(world.a.unit_staff, capacity=1)
    session = a.sessions.get()
    p1, p2 = residents(world, 2)
    r1 = services.registration_create(actor=p1, session=session)
    r2 = services.registration_create(actor=p2, session=session)
    services.registration_cancel(actor=p1, registration=r1)
    with pytest.raises(NotAllowed):
        services.registration_accept_offer(actor=p1, registration=r2)


def test_capacity_increase_promotes(world):
    a = published_activity(world.a.unit_staff, capacity=1)
    session = a.sessions.get()
    regs = [services.registration_create(actor=p, session=session) for p in residents(world, 3)]
    services.session_set_capacity(actor=world.a.unit_staff, session=session, capacity=3)
    assert [reload(r).status for r in regs] == [R.CONFIRMED, R.OFFERED, R.OFFERED]
    with pytest.raises(DomainError):
        services.session_set_capacity(actor=world.a.unit_staff, session=session, capacity=2)


def test_check_in_by_payload_once_and_walk_ins(world):
    a = published_activity(world.a.unit_staff, capacity=2)
    other = published_activity(world.a.unit_staff, capacity=2, title="另一场")
    session = a.sessions.get()
    p1, p2, p3 = residents(world, 3)
    r1 = services.registration_create(actor=p1, session=session, population=Population.ELDERLY)
    services.registration_create(actor=p2, session=session)
    r3 = services.registration_create(actor=p3, session=session)
    assert r3.status == R.WAITING
    with pytest.raises(NotAllowed):
        services.check_in(actor=world.b.admin, activity=a, payload=r1.qr_payload)
    with pytest.raises(NotAllowed):
        services.check_in(actor=p1, activity=a, payload=r1.qr_payload)
    with at_the_door(session):
        done = services.check_in(actor=world.a.unit_staff, activity=a, payload=r1.qr_payload)
        assert done.checked_in_at is not None
        with pytest.raises(Conflict) as err:
            services.check_in(actor=world.a.unit_staff, activity=a, payload=r1.qr_payload)
        assert err.value.code == "already_checked_in"
        with pytest.raises(DomainError) as err:
            services.check_in(actor=world.a.unit_staff, activity=other, payload=r1.qr_payload)
        assert err.value.code == "ticket_unknown"
        with pytest.raises(Conflict) as err:
            services.check_in(actor=world.a.unit_staff, activity=a, payload=r3.ticket_code)
        assert err.value.code == "not_confirmed"
        services.walk_in_record(actor=world.a.unit_staff, session=session, head_count=5, population=Population.ELDERLY)
        with pytest.raises(DomainError):
            services.walk_in_record(actor=world.a.unit_staff, session=session, head_count=0, population="elderly")
        with pytest.raises(NotAllowed):
            services.walk_in_record(actor=world.b.unit_staff, session=session, head_count=1, population="other")


def test_check_in_opens_two_hours_before_and_closes_at_the_end_then_only_late_entries(world, settings):
    """Nobody is counted before they can have come: the door opens a set time before the session
    and closes when it ends; afterwards a late entry (补登) needs a reason and is audited as such."""
    a = published_activity(world.a.unit_staff, capacity=5)
    session = a.sessions.get()
    early, on_time, missed = residents(world, 3)
    regs = [services.registration_create(actor=p, session=session) for p in (early, on_time, missed)]
    staff = world.a.unit_staff
    # Days before (the bent figure seen from outside: a ticket checked in six days early).
    with clock.frozen_at(session.starts_at - timedelta(days=6)):
        with pytest.raises(DomainError) as err:
            services.check_in(actor=staff, activity=a, registration=regs[0])
        assert err.value.code == "checkin_not_open" and "签到" in str(err.value.message)
        with pytest.raises(DomainError):
            services.walk_in_record(actor=staff, session=session, head_count=2, population=Population.ELDERLY)
        with pytest.raises(DomainError) as err:  # not even as a late entry, whatever the reason
            services.check_in_late(actor=staff, activity=a, registration=regs[0], reason="提前到了")
        assert err.value.code == "late_too_early"
    assert reload(regs[0]).checked_in_at is None and reload(session).walk_in_count == 0
    # The door opens two hours before (configurable).
    with clock.frozen_at(session.starts_at - timedelta(minutes=121)):
        with pytest.raises(DomainError):
            services.check_in(actor=staff, activity=a, registration=regs[0])
    with clock.frozen_at(session.starts_at - timedelta(minutes=119)):
        services.check_in(actor=staff, activity=a, registration=regs[0])
    settings.KEPU_CHECKIN_OPENS_MINUTES = 30
    with clock.frozen_at(session.starts_at - timedelta(minutes=45)):
        with pytest.raises(DomainError):
            services.check_in(actor=staff, activity=a, registration=regs[1])
    with at_the_door(session):
        services.check_in(actor=staff, activity=a, registration=regs[1])
    # After the end: only a late entry, with a reason, recorded and audited as one.
    with after_the_session(session):
        with pytest.raises(DomainError) as err:
            services.check_in(actor=staff, activity=a, registration=regs[2])
        assert err.value.code == "checkin_closed"
        with pytest.raises(DomainError) as err:
            services.check_in_late(actor=staff, activity=a, registration=regs[2], reason=" ")
        assert err.value.code == "reason_required"
        late = services.check_in_late(actor=staff, activity=a, registration=regs[2], reason="门口扫码枪故障，现场登记")
        services.walk_in_record(
            actor=staff, session=session, head_count=3, population=Population.FARMERS, late_reason="纸质登记补录"
        )
    assert late.late_entry_reason == "门口扫码枪故障，现场登记" and reload(regs[0]).late_entry_reason == ""
    entry = AuditEntry.objects.get(action="kepu.activities.registration.checked_in_late")
    assert entry.data["reason"] == "门口扫码枪故障，现场登记"
    assert AuditEntry.objects.filter(action="kepu.activities.walk_in_late").count() == 1
    assert reload(session).checked_in == 3 and reload(session).walk_in_count == 3


def test_survey_only_for_checked_in_attendees(world):
    a = published_activity(world.a.unit_staff, capacity=3)
    session = a.sessions.get()
    p1, p2 = residents(world, 2)
    r1 = services.registration_create(actor=p1, session=session)
    r2 = services.registration_create(actor=p2, session=session)
    with at_the_door(session):
        services.check_in(actor=world.a.unit_staff, activity=a, registration=r1)
        with pytest.raises(Conflict) as err:  # during the session: not yet
            services.survey_submit(actor=p1, registration=r1, score=5)
        assert err.value.code == "survey_not_yet"
    with after_the_session(session):
        services.survey_submit(actor=p1, registration=r1, score=5, comment="很好")
    with pytest.raises(Conflict):
        services.survey_submit(actor=p1, registration=r1, score=4)
    with pytest.raises(NotAllowed):
        services.survey_submit(actor=p2, registration=r2, score=4)
    with pytest.raises(NotAllowed):
        services.survey_submit(actor=p2, registration=r1, score=4)


def test_visit_booking_slots_from_opening_hours(world):
    base_staff = world.a.base_staff
    venue = services.venue_create(
        actor=base_staff,
        organization=world.a.base,
        place=world.a.place,
        name="展厅",
        opening_hours={"1": [["09:00", "12:00"]], "2": [["14:00", "16:00"]]},
        slot_minutes=60,
        slot_capacity=2,
    )
    with pytest.raises(NotAllowed):
        services.venue_publish_slots(
            actor=world.b.base_staff, venue=venue, first_day=date(2030, 1, 1), last_day=date(2030, 1, 7)
        )
    with pytest.raises(DomainError):
        services.venue_create(
            actor=base_staff,
            organization=world.a.base,
            place=world.a.place,
            name="x",
            opening_hours={"1": [["12:00", "09:00"]]},
        )
    # 2030-01-01 is a Tuesday: three slots; Wednesday two.
    activity = services.venue_publish_slots(
        actor=base_staff, venue=venue, first_day=date(2030, 1, 1), last_day=date(2030, 1, 7)
    )
    assert activity.sessions.count() == 5
    again = services.venue_publish_slots(
        actor=base_staff, venue=venue, first_day=date(2030, 1, 1), last_day=date(2030, 1, 14)
    )
    assert again.pk == activity.pk and activity.sessions.count() == 10
    slot = activity.sessions.order_by("starts_at").first()
    people = residents(world, 3)
    with clock.frozen_at(slot.starts_at - timedelta(days=3)):
        statuses = [services.registration_create(actor=p, session=slot).status for p in people]
    assert statuses == [R.CONFIRMED, R.CONFIRMED, R.WAITING]


def test_theme_rules():
    by = {t.slug: t for t in Theme.objects.all()}
    assert len(by) >= 17
    assert by["world-water-day"].dates(2026) == (date(2026, 3, 22), date(2026, 3, 22))
    assert by["safety-month"].dates(2026) == (date(2026, 6, 1), date(2026, 6, 30))
    # 文化和自然遗产日 2026: the second Saturday of June is 13 June.
    assert by["heritage-day"].dates(2026) == (date(2026, 6, 13), date(2026, 6, 13))
    assert by["national-science-day"].dates(2026)[0] == date(2026, 9, 19)
    assert by["beijing-science-week"].dates(2026) is None
    by["beijing-science-week"].occurrences.create(year=2026, starts_on=date(2026, 5, 16), ends_on=date(2026, 5, 24))
    assert by["beijing-science-week"].dates(2026) == (date(2026, 5, 16), date(2026, 5, 24))


def test_delivered_orders_are_counted_once(world):
    from kepu.activities.models import DeliveredService

    when = clock.now()
    for _ in range(2):
        services.delivered_service_record(
            order_id=7, place=world.a.communities[0], delivered_at=when, attendance={"elderly": 30, "bogus": 3}
        )
    assert DeliveredService.objects.get().attendance == {"elderly": 30}


def test_sessions_keep_the_activity_span(world):
    a = published_activity(world.a.unit_staff, sessions=3)
    first, *_rest, last = Session.objects.filter(activity=a).order_by("starts_at")
    assert (a.starts_at, a.ends_at) == (first.starts_at, last.ends_at)


def test_the_calendar_follows_the_next_session_and_drops_ended_activities(world):
    from kepu.activities import selectors

    start = clock.now().replace(microsecond=0)
    with clock.frozen_at(start):
        series = published_activity(world.a.unit_staff, title="系列课", sessions=3, starts_at=start + timedelta(days=1))
        single = published_activity(world.a.unit_staff, title="单场", starts_at=start + timedelta(days=3))
    first, second, third = series.sessions.order_by("starts_at")
    assert series.next_at == first.starts_at
    with clock.frozen_at(first.ends_at + timedelta(minutes=1)):
        assert services.next_sessions_advance() == 1
        series.refresh_from_db()
        assert series.next_at == second.starts_at
    with clock.frozen_at(third.ends_at + timedelta(minutes=1)):
        services.next_sessions_advance()
        series.refresh_from_db()
        single.refresh_from_db()
        assert series.next_at is None and single.next_at is None
    assert series not in selectors.public_activities()


def test_the_survey_is_sent_to_checked_in_attendees_only(world, django_capture_on_commit_callbacks):
    from kepu.notifications.models import Notification

    a = published_activity(world.a.unit_staff, capacity=5)
    session = a.sessions.get()
    came, stayed_home = residents(world, 2)
    r1 = services.registration_create(actor=came, session=session)
    services.registration_create(actor=stayed_home, session=session)
    group = services.registration_create(
        actor=world.a.unit_staff, session=session, on_behalf=True, name="老年合唱团", head_count=3
    )
    with django_capture_on_commit_callbacks(execute=True), at_the_door(session):
        services.check_in(actor=world.a.unit_staff, activity=a, registration=r1)
        services.check_in(actor=world.a.unit_staff, activity=a, registration=group)
        assert services.survey_invitations_send() == 0  # not at check-in: after the session
    invited = Notification.objects.filter(kind="kepu.activities.survey")
    assert not invited.exists()
    with django_capture_on_commit_callbacks(execute=True), after_the_session(session):
        assert services.survey_invitations_send() == 1
        assert services.survey_invitations_send() == 0  # once per session
    assert [n.recipient_id for n in invited] == [came.user.pk]
    assert invited.get().url == f"/activities/tickets/{r1.pk}/" and a.title in invited.get().title


def test_visit_slots_go_through_review_like_every_activity(world):
    """No second path to the public calendar: where the district reviews activities, a venue's slots wait too."""
    services.district_settings_set(actor=world.a.admin, district=world.a.place, review_required=True)
    venue = services.venue_create(
        actor=world.a.base_staff,
        organization=world.a.base,
        place=world.a.place,
        name="展厅",
        opening_hours={"2": [["09:00", "11:00"]]},
        slot_minutes=60,
        slot_capacity=2,
    )
    activity = services.venue_publish_slots(
        actor=world.a.base_staff, venue=venue, first_day=date(2030, 1, 1), last_day=date(2030, 1, 7)
    )
    assert activity.status == ActivityStatus.IN_REVIEW and activity.sessions.count() == 2
    assert not selectors.public_activities().filter(pk=activity.pk).exists()
    services.activity_review(actor=world.a.admin, activity=activity, approve=True)
    assert selectors.public_activities().filter(pk=activity.pk).exists()


def test_the_review_setting_is_the_district_offices_or_the_citys(world):
    from kepu.activities.models import DistrictActivitySettings

    services.district_settings_set(actor=world.city_admin, district=world.b.place, review_required=True)
    for outsider in (world.a.street_staff, world.a.unit_staff, world.b.admin):
        with pytest.raises(NotAllowed):
            services.district_settings_set(actor=outsider, district=world.a.place, review_required=True)
    assert not DistrictActivitySettings.objects.filter(district=world.a.place).exists()
    assert DistrictActivitySettings.objects.get(district=world.b.place).review_required
