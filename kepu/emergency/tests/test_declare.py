"""Declaring an event: exactly the affected residents, the elderly first, nobody twice; packs past their review
date only with an audited reason; checklists, the volunteer teams and the expert team."""

from datetime import UTC, datetime, timedelta

import pytest

from kepu.core import clock
from kepu.core.errors import NotAllowed
from kepu.core.messaging import LocmemSmsBackend
from kepu.core.models import AuditEntry
from kepu.emergency import selectors, services
from kepu.emergency.models import Delivery, EventStatus, Moment, PackStatus
from kepu.emergency.tests.factories import approved_pack, declare_data
from kepu.notifications.models import Notification


@pytest.fixture(autouse=True)
def _commit(monkeypatch, django_capture_on_commit_callbacks):
    """The fan-out is enqueued after commit: each declaration runs its callbacks as its commit would."""
    declare = services.event_declare

    def declare_and_commit(**kwargs):
        with django_capture_on_commit_callbacks(execute=True):
            return declare(**kwargs)

    monkeypatch.setattr(services, "event_declare", declare_and_commit)


def told(event):
    return list(Delivery.objects.filter(event=event).order_by("pk").values_list("user_id", "elderly"))


def test_red_rainstorm_for_two_streets_reaches_exactly_their_residents_elderly_first(eworld):
    w = eworld
    t0 = w.now + timedelta(hours=1)
    with clock.frozen_at(t0):
        event = services.event_declare(actor=w.a.admin, data=declare_data(w))
    assert event.status == EventStatus.DECLARED
    rows = told(event)
    inside = {u.pk for u in w.inside_elderly + w.inside_others} | {w.a.resident.user.pk, w.a.neighbour.user.pk}
    ids = [uid for uid, _e in rows]
    assert set(ids) == {uid for uid in inside if _home_in_streets(uid, w)}
    assert not set(ids) & {u.pk for u in w.outside}
    assert len(ids) == len(set(ids))
    flags = [e for _uid, e in rows]
    assert flags == sorted(flags, reverse=True), "every elderly resident is told before anyone else"
    assert sum(flags) == len(w.inside_elderly)
    # The inbox and SMS reach the same people, the elderly first.
    inbox = list(
        Notification.objects.filter(kind="kepu.emergency.guidance")
        .order_by("pk")
        .values_list("recipient_id", flat=True)
    )
    assert inbox == ids
    assert any("暴雨红色预警" in m.text for m in LocmemSmsBackend.outbox)
    first = set(inbox[: len(w.inside_elderly)])
    assert first == {u.pk for u in w.inside_elderly}
    # The timeline: declared, first message, each street reached.
    moments = [t.moment for t in selectors.timeline(event)]
    assert moments[0] == Moment.DECLARED and Moment.FIRST_MESSAGE in moments
    assert moments.count(Moment.PLACE_REACHED) == 2
    assert event.__class__.objects.get(pk=event.pk).first_message_at == t0


def _home_in_streets(uid, w):
    from kepu.accounts.models import User

    home = User.objects.get(pk=uid).home_place
    return home is not None and (home.path.startswith(w.street1.path) or home.path.startswith(w.street2.path))


def test_nobody_is_told_twice_when_the_fan_out_runs_again(eworld):
    w = eworld
    event = services.event_declare(actor=w.a.admin, data=declare_data(w))
    before = told(event)
    from kepu.emergency.models import EventPlace, FanOutStep

    EventPlace.objects.filter(event=event).update(elderly_done=False, reached_at=None)
    FanOutStep.objects.filter(event_place__event=event).update(done_at=None)
    services.fan_out_run(event.pk)
    assert told(event) == before
    assert Notification.objects.filter(kind="kepu.emergency.guidance").count() == len(before)


def test_a_street_inside_a_chosen_district_adds_nobody(eworld):
    w = eworld
    event = services.event_declare(actor=w.a.admin, data=declare_data(w, places=[w.a.place, w.street1]))
    assert [p.place_id for p in event.places.all()] == [w.a.place.pk]
    assert len(told(event)) == len({uid for uid, _ in told(event)})


def test_a_pack_past_its_review_date_is_refused_without_a_reason_and_the_override_is_audited(eworld):
    w = eworld
    later = datetime.combine(w.pack.review_by + timedelta(days=1), datetime.min.time(), tzinfo=UTC)
    with clock.frozen_at(later):
        with pytest.raises(services.PackExpired):
            services.event_declare(actor=w.a.admin, data=declare_data(w))
        assert not Delivery.objects.exists()
        assert services.packs_expire() == 1
        w.pack.refresh_from_db()
        assert w.pack.status == PackStatus.EXPIRED
        event = services.event_declare(
            actor=w.a.admin, data=declare_data(w, override_reason="预警已发布，包内内容仍然正确")
        )
    assert event.override_reason == "预警已发布，包内内容仍然正确"
    entry = AuditEntry.objects.get(action="kepu.emergency.pack_override")
    assert entry.data["reason"] == "预警已发布，包内内容仍然正确" and entry.data["pack"] == w.pack.pk
    assert Delivery.objects.filter(event=event).exists()


def test_a_pack_whose_piece_was_withdrawn_is_not_sent(eworld):
    from kepu.resources.services import resource_transition

    w = eworld
    resource_transition(actor=w.a.admin, resource=w.guide, action="withdraw", reason="内容过时")
    with pytest.raises(Exception) as exc:
        services.event_declare(actor=w.a.admin, data=declare_data(w))
    assert getattr(exc.value, "code", "") == "pack_incomplete"
    assert not Delivery.objects.exists()


def test_another_district_office_cannot_declare_for_our_streets(eworld):
    w = eworld
    with pytest.raises(Exception) as exc:
        services.event_declare(actor=w.b.admin, data=declare_data(w))
    assert getattr(exc.value, "code", "") == "invalid_choice"  # our streets are not among its places
    assert not Delivery.objects.exists()


def test_street_staff_cannot_declare(eworld):
    w = eworld
    with pytest.raises(NotAllowed):
        services.event_declare(actor=w.a.street_staff, data=declare_data(w))


def test_nothing_is_defaulted_in_the_declaration(eworld):
    from kepu.emergency.forms import EventForm

    form = EventForm(actor=w_admin(eworld))
    assert form["hazard"].value() is None and form["level"].value() is None and form["places"].value() is None
    bad = EventForm({"starts_at": "2026-07-20T06:00", "expected_end": "2026-07-20T18:00"}, actor=w_admin(eworld))
    assert not bad.is_valid() and {"hazard", "level", "places"} <= set(bad.errors)


def w_admin(w):
    return w.a.admin


def test_communities_get_a_checklist_and_the_teams_are_told(eworld):
    w = eworld
    event = services.event_declare(actor=w.a.admin, data=declare_data(w, places=[w.street1]))
    items = list(event.checklist.all())
    communities = {i.community_id for i in items}
    assert communities == {c.pk for c in w.street1.children.all()}
    assert len(items) == 3 * len(communities)
    staff = Notification.objects.filter(kind="kepu.emergency.checklist").values_list("recipient_id", flat=True)
    assert w.a.community_staff.user.pk in staff
    teams = Notification.objects.filter(kind="kepu.emergency.team").values_list("recipient_id", flat=True)
    assert list(teams) == [w.a.team_staff.user.pk]
    # Community staff tick their own community's tasks; the reach shows them.
    item = next(i for i in items if i.community_id == w.a.communities[0].pk)
    services.checklist_tick(actor=w.a.community_staff, item=item, done=True)
    row = selectors.reach(event)[0]
    assert row["tasks_done"] == 1 and row["tasks"] == len(items)
    other = next(i for i in items if i.community_id != w.a.communities[0].pk)
    with pytest.raises(NotAllowed):
        services.checklist_tick(actor=w.a.community_staff, item=other, done=True)
    with pytest.raises(NotAllowed):
        services.checklist_tick(actor=w.b.community_staff, item=item, done=False)


def test_reading_the_page_counts_once_by_place(eworld):
    w = eworld
    event = services.event_declare(actor=w.a.admin, data=declare_data(w))
    assert services.event_read(actor=w.a.resident, event=event) is True
    assert services.event_read(actor=w.a.resident, event=event) is False
    rows = {r["place"].pk: r for r in selectors.reach(event)}
    assert rows[w.street1.pk]["read"] == 1 and rows[w.street2.pk]["read"] == 0


def test_the_district_pack_wins_over_the_city_pack_and_a_missing_pack_refuses(eworld):
    from kepu.emergency.models import Hazard

    w = eworld
    pack, current = services.pack_for(Hazard.objects.get(code="rainstorm"), w.street1.path)
    assert pack == w.pack and current
    with pytest.raises(services.PackMissing):
        services.event_declare(
            actor=w.a.admin, data=declare_data(w, hazard=str(Hazard.objects.get(code="earthquake").pk))
        )


def test_closing_records_the_review_and_the_timeline(eworld):
    w = eworld
    event = services.event_declare(actor=w.a.admin, data=declare_data(w))
    with pytest.raises(Exception) as exc:
        services.event_transition(actor=w.a.admin, event=event, action="close", data={})
    assert getattr(exc.value, "code", "") == "required" and "review" in exc.value.data["fields"]
    event = services.event_transition(
        actor=w.a.admin, event=event, action="close", data={"review": "两小时内全部社区收到，独居老人走访完成。"}
    )
    assert event.status == EventStatus.CLOSED and event.closed_at is not None
    assert selectors.timeline(event).last().moment == Moment.CLOSED
    past = list(selectors.past_events(actor=w.a.admin))
    assert past == [event] and past[0].sent_total == len(told(event)) and past[0].answered == 0
    assert len(told(event)) == sum(p.sent for p in event.places.all()) > 0
    assert list(selectors.past_events(actor=w.b.admin)) == []
    with pytest.raises(NotAllowed):
        services.event_transition(actor=w.b.admin, event=event, action="close", data={"review": "x" * 5})


def test_approving_a_pack_needs_a_future_review_date(eworld):
    from datetime import date

    from kepu.emergency.tests.factories import pack_data

    w = eworld
    pack = services.pack_create(actor=w.a.admin, data=pack_data(w, title="第二个"))
    with pytest.raises(Exception) as exc:
        services.pack_transition(actor=w.a.admin, pack=pack, action="approve", data={"review_by": "2020-01-01"})
    assert getattr(exc.value, "code", "") == "review_by_past"
    with pytest.raises(NotAllowed):
        services.pack_transition(actor=w.b.admin, pack=pack, action="approve", data={"review_by": "2099-01-01"})
    assert approved_pack(w, review_by=date.today() + timedelta(days=30)).status == PackStatus.APPROVED


def test_community_workers_of_the_affected_communities_are_told_before_any_resident(eworld):
    w = eworld
    event = services.event_declare(actor=w.a.admin, data=declare_data(w, places=[w.street1]))
    workers = Notification.objects.filter(kind="kepu.emergency.checklist")
    assert w.a.community_staff.user.pk in set(workers.values_list("recipient_id", flat=True))
    assert not workers.filter(recipient=w.b.community_staff.user).exists()
    assert all(w.pack.sms_text in n.body for n in workers)
    residents = Notification.objects.filter(kind="kepu.emergency.guidance")
    assert residents.exists() and told(event)
    assert max(workers.values_list("pk", flat=True)) < min(residents.values_list("pk", flat=True))
    first_worker = min(workers.values_list("created_at", flat=True))
    assert first_worker <= min(residents.values_list("created_at", flat=True))


def test_sms_and_wechat_go_out_from_the_channel_tasks_once_per_person(eworld):
    from kepu.emergency.models import FanOutStep
    from kepu.notifications.channels import LocmemWeChatBackend

    w = eworld
    LocmemSmsBackend.outbox.clear()
    LocmemWeChatBackend.outbox.clear()
    event = services.event_declare(actor=w.a.admin, data=declare_data(w))
    rows = Delivery.objects.filter(event=event)
    assert rows.count() > 0 and not rows.filter(channels_at__isnull=True).exists()
    with_phone = {u.phone for u in _users(rows) if u.phone}
    sms = [m for m in LocmemSmsBackend.outbox if m.meta.get("purpose") == "kepu.emergency.guidance"]
    assert sorted(m.to for m in sms) == sorted(with_phone)
    wechat = [m for m in LocmemWeChatBackend.outbox if m.template == "kepu.emergency.guidance"]
    assert sorted(m.user_id for m in wechat) == sorted(rows.values_list("user_id", flat=True))
    # A channel task run again (a retried job) sends nothing more; every step wrote its own wave.
    steps = FanOutStep.objects.filter(event_place__event=event, sent__gt=0)
    assert set(rows.values_list("wave", flat=True)) == set(steps.values_list("pk", flat=True))
    for step in steps:
        assert services.channels_run(step.event_place_id, step.pk) == 0
    assert len([m for m in LocmemSmsBackend.outbox if m.meta.get("purpose") == "kepu.emergency.guidance"]) == len(sms)


def _users(rows):
    from kepu.accounts.models import User

    return User.objects.filter(pk__in=rows.values("user_id"))
