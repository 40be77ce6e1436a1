"""The expert team on call, questions and answers, fast-track review."""

from datetime import timedelta

import pytest

from kepu.core import clock
from kepu.core.errors import NotAllowed
from kepu.core.workflow import TooEarly
from kepu.emergency import selectors, services
from kepu.emergency.models import CallStatus, Moment, OnCall
from kepu.emergency.tests.factories import declare_data


@pytest.fixture
def event(eworld, django_capture_on_commit_callbacks):
    with clock.frozen_at(eworld.now):
        with django_capture_on_commit_callbacks(execute=True):
            return services.event_declare(actor=eworld.a.admin, data=declare_data(eworld))


def test_the_first_of_the_team_is_called_and_the_next_when_the_deadline_passes(eworld, event):
    w = eworld
    calls = list(OnCall.objects.filter(event=event))
    assert [c.user_id for c in calls] == [w.team[0].user.pk]
    first = calls[0]
    with clock.frozen_at(w.now + timedelta(minutes=services.ACCEPT_MINUTES - 1)):
        assert services.calls_check() == 0
    with clock.frozen_at(w.now + timedelta(minutes=services.ACCEPT_MINUTES + 1)):
        with pytest.raises(TooEarly):  # past the deadline the call cannot be accepted, checked or not
            services.call_answer(actor=w.team[0], call=first, action="accept")
        assert services.calls_check() == 1
    first.refresh_from_db()
    assert first.status == CallStatus.MISSED
    second = OnCall.objects.get(event=event, status=CallStatus.CALLED)
    assert second.user_id == w.team[1].user.pk
    # The second declines with a reason: the third is called at once, and accepts.
    with clock.frozen_at(w.now + timedelta(minutes=40)):
        services.call_answer(actor=w.team[1], call=second, action="decline", reason="正在外地出差")
        third = OnCall.objects.get(event=event, status=CallStatus.CALLED)
        assert third.user_id == w.team[2].user.pk
        with pytest.raises(NotAllowed):
            services.call_answer(actor=w.team[0], call=third, action="accept")
        services.call_answer(actor=w.team[2], call=third, action="accept")
    assert selectors.on_duty_names(event) == ["应急专家2"]
    moments = [t.moment for t in selectors.timeline(event)]
    assert moments.count(Moment.EXPERT_CALLED) == 3 and Moment.EXPERT_ACCEPTED in moments


def test_when_the_whole_team_passed_the_timeline_says_so(eworld, event):
    w = eworld
    for n in range(3):
        call = OnCall.objects.get(event=event, status=CallStatus.CALLED)
        services.call_answer(actor=w.team[n], call=call, action="decline", reason="不在北京")
    assert not OnCall.objects.filter(event=event, status=CallStatus.CALLED).exists()
    assert selectors.timeline(event).filter(moment=Moment.ROSTER_EXHAUSTED).count() == 1


def test_residents_ask_the_expert_on_duty_answers_and_the_faq_shows_it(eworld, event):
    w = eworld
    call = OnCall.objects.get(event=event)
    services.call_answer(actor=w.team[0], call=call, action="accept")
    q = services.question_ask(actor=w.a.resident, event=event, data={"text": "地下车库里的车要不要挪走？"})
    with pytest.raises(NotAllowed):
        services.question_ask(actor=w.b.resident, event=event, data={"text": "我们这里也下雨吗？"})
    with pytest.raises(NotAllowed):
        services.question_answer(actor=w.team[1], question=q, data={"answer": "要挪走。"})
    assert list(selectors.faq(event)) == []
    services.question_answer(actor=w.team[0], question=q, data={"answer": "尽早挪到地面高处，水位上涨后不要进入车库。"})
    assert [x.answer for x in selectors.faq(event)] == ["尽早挪到地面高处，水位上涨后不要进入车库。"]


def test_a_new_piece_goes_to_the_expert_on_duty_through_the_librarys_review(eworld, event):
    from kepu.resources.services import resource_transition
    from kepu.resources.tests.factories import make_piece
    from kepu.volunteers.services import expert_create

    w = eworld
    call = OnCall.objects.get(event=event)
    with pytest.raises(Exception) as exc:
        services.fast_track(actor=w.a.admin, event=event, data={"resource": "1"})
    assert getattr(exc.value, "code", "") == "nobody_on_duty"
    services.call_answer(actor=w.team[0], call=call, action="accept")
    piece = make_piece(w.a.unit_staff, title="本次暴雨避险要点", review_field="earth")
    resource_transition(actor=w.a.unit_staff, resource=piece, action="submit")
    ft = services.fast_track(actor=w.a.admin, event=event, data={"resource": str(piece.pk)})
    piece.refresh_from_db()
    assert piece.status == "science_review" and piece.reviewer_id == w.team[0].user.pk
    assert ft.deadline - ft.assigned_at == timedelta(hours=2)
    with pytest.raises(NotAllowed):
        services.fast_track(actor=w.b.admin, event=event, data={"resource": str(piece.pk)})
    del expert_create


def test_a_fast_track_review_overdue_goes_to_the_next_expert_and_the_office_is_told(eworld, event):
    from kepu.core.models import AuditEntry
    from kepu.notifications.models import Notification
    from kepu.resources.services import resource_transition
    from kepu.resources.tests.factories import make_piece

    w = eworld
    services.call_answer(actor=w.team[0], call=OnCall.objects.get(event=event), action="accept")
    piece = make_piece(w.a.unit_staff, title="本次暴雨避险要点", review_field="earth")
    resource_transition(actor=w.a.unit_staff, resource=piece, action="submit")
    with clock.frozen_at(w.now):
        ft = services.fast_track(actor=w.a.admin, event=event, data={"resource": str(piece.pk)})
    with clock.frozen_at(w.now + timedelta(hours=2, minutes=-1)):
        assert services.fast_tracks_check() == 0
    later = w.now + timedelta(hours=2, minutes=1)
    with clock.frozen_at(later):
        assert services.fast_tracks_check() == 1
        assert services.fast_tracks_check() == 0, "passed on once, with a new deadline"
    piece.refresh_from_db()
    ft.refresh_from_db()
    assert piece.status == "science_review" and piece.reviewer_id == w.team[1].user.pk
    assert ft.reviewer_id == w.team[1].user.pk and ft.escalations == 1 and ft.passed_over == [w.team[0].user.pk]
    assert ft.deadline == later + timedelta(hours=2)
    entry = AuditEntry.objects.get(action="kepu.emergency.fast_track_escalated")
    assert entry.data == {"resource": piece.pk, "from": w.team[0].user.pk, "to": w.team[1].user.pk}
    told = Notification.objects.filter(kind="kepu.emergency.fast_track_overdue")
    office = set(told.values_list("recipient_id", flat=True))
    assert w.a.admin.user.pk in office and w.b.admin.user.pk not in office
    assert all("应急专家1" in n.title for n in told)
    assert Notification.objects.filter(kind="kepu.emergency.fast_track", recipient=w.team[1].user).exists()
    # The second expert decides in time: the next check leaves the review to the library.
    resource_transition(actor=w.team[1], resource=piece, action="approve_science", data={"comment": "科学性无误。"})
    with clock.frozen_at(later + timedelta(hours=3)):
        assert services.fast_tracks_check() == 0
    ft.refresh_from_db()
    assert ft.decided_at is not None and ft.escalations == 1


def test_an_overdue_fast_track_with_nobody_left_tells_the_office_to_decide(eworld, event):
    from kepu.core.models import AuditEntry
    from kepu.notifications.models import Notification
    from kepu.resources.services import resource_transition
    from kepu.resources.tests.factories import make_piece

    w = eworld
    services.call_answer(actor=w.team[0], call=OnCall.objects.get(event=event), action="accept")
    piece = make_piece(w.a.unit_staff, title="本次暴雨避险要点", review_field="earth")
    resource_transition(actor=w.a.unit_staff, resource=piece, action="submit")
    with clock.frozen_at(w.now):
        ft = services.fast_track(actor=w.a.admin, event=event, data={"resource": str(piece.pk)})
    at = w.now
    for _n in range(2):
        at += timedelta(hours=2, minutes=1)
        with clock.frozen_at(at):
            assert services.fast_tracks_check() == 1
    at += timedelta(hours=2, minutes=1)
    with clock.frozen_at(at):
        assert services.fast_tracks_check() == 0
    ft.refresh_from_db()
    assert ft.reviewer_id == w.team[2].user.pk and ft.escalations == 2 and ft.decided_at == at
    assert AuditEntry.objects.filter(action="kepu.emergency.fast_track_unanswered").count() == 1
    overdue = Notification.objects.filter(kind="kepu.emergency.fast_track_overdue", recipient=w.a.admin.user)
    assert overdue.count() == 3
