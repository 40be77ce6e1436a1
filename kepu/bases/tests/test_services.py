"""The certification and the annual review, step by step through the services."""

from datetime import timedelta

import pytest
from django.utils import timezone

from kepu.bases import services, workflow
from kepu.bases.models import Application, ApplicationEvent, Base, Conflict, ScoreSheet, SheetStatus
from kepu.bases.tests.factories import advance, base_for, certified_base, full_scores, start
from kepu.core import clock
from kepu.core.errors import DomainError, NotAllowed
from kepu.core.workflow import ReasonMissing, TooEarly

pytestmark = pytest.mark.django_db


def test_an_application_goes_the_whole_way_and_the_base_holds_the_title(bworld):
    a = bworld.a
    app = start(a)
    app = advance(app, a, "confirm", a.experts)
    base = app.base
    base.refresh_from_db()
    assert app.status == "certified" and base.standing == "certified" and base.level == "district"
    # The title starts when the notice has passed and it is confirmed.
    assert base.term_start == timezone.localdate() > timezone.localdate(app.notice_ends_at) - timedelta(days=7)
    assert (base.term_end - base.term_start).days in (1094, 1095)  # three years less a day
    assert base.certificate_number == app.certificate_number and app.certificate_number
    assert [e.action for e in ApplicationEvent.objects.filter(application=app).order_by("pk")] == [
        "start", "submit", "accept", "to_inspection", "inspect", "certify", "confirm",
    ]  # fmt: skip


def test_submitting_waits_for_what_is_missing(bworld):
    a = bworld.a
    base = base_for(a, hours=False, guides=None)
    app = services.application_start(actor=a.base_staff, base=base)
    with pytest.raises(TooEarly) as exc:
        services.application_transition(actor=a.base_staff, application=app, action="submit")
    message = str(exc.value.message)
    for missing in ("申报说明", "讲解员人数", "每周开放时间", "申报书"):
        assert missing in message, message
    assert Application.objects.get(pk=app.pk).status == "draft"


def test_the_office_returns_for_completion_with_a_reason_and_the_base_resubmits(bworld):
    a = bworld.a
    app = advance(start(a), a, "submit")
    with pytest.raises(ReasonMissing):
        services.application_transition(actor=a.admin, application=app, action="return", reason=" ")
    services.application_transition(actor=a.admin, application=app, action="return", reason="面积证明不清晰")
    app.refresh_from_db()
    assert app.status == "returned"
    services.application_transition(actor=a.base_staff, application=app, action="resubmit")
    assert Application.objects.get(pk=app.pk).status == "submitted"


def test_another_district_cannot_run_it_and_the_base_cannot_run_the_office_steps(bworld):
    a, b = bworld.a, bworld.b
    app = advance(start(a), a, "submit")
    for actor in (b.admin, a.base_staff, a.street_staff, bworld.city_admin, a.experts[0]):
        with pytest.raises(DomainError):
            services.application_transition(actor=actor, application=app, action="accept", data={"experts": 3})
    assert Application.objects.get(pk=app.pk).status == "submitted"


def test_the_expert_review_closes_only_when_every_drawn_expert_has_scored(bworld):
    a = bworld.a
    app = advance(start(a), a, "accept")
    sheets = list(ScoreSheet.objects.filter(application=app))
    assert len(sheets) == 3
    by_user = {e.user.pk: e for e in a.experts}
    services.sheet_submit(actor=by_user[sheets[0].scorer_id], sheet=sheets[0], data=full_scores(app))
    with pytest.raises(TooEarly) as exc:
        services.application_transition(actor=a.admin, application=app, action="to_inspection")
    assert "3位专家中已有1位评分" in str(exc.value.message)
    # An expert scores only their own sheet, once.
    with pytest.raises(NotAllowed):
        services.sheet_submit(actor=by_user[sheets[0].scorer_id], sheet=sheets[1], data=full_scores(app))
    with pytest.raises(DomainError):
        services.sheet_submit(actor=by_user[sheets[0].scorer_id], sheet=sheets[0], data=full_scores(app))


def test_points_above_an_items_weight_are_refused(bworld):
    a = bworld.a
    app = advance(start(a), a, "accept")
    sheet = ScoreSheet.objects.filter(application=app).first()
    expert = next(e for e in a.experts if e.user.pk == sheet.scorer_id)
    data = full_scores(app)
    first = next(k for k in data if k.startswith("item_"))
    data[first] = "999"
    with pytest.raises(DomainError):
        services.sheet_submit(actor=expert, sheet=sheet, data=data)
    assert ScoreSheet.objects.get(pk=sheet.pk).status == SheetStatus.PENDING


def test_an_expert_who_withdraws_is_replaced_and_never_drawn_for_that_organization_again(bworld):
    a = bworld.a
    app = advance(start(a), a, "accept")
    sheet = ScoreSheet.objects.filter(application=app).first()
    expert = next(e for e in a.experts if e.user.pk == sheet.scorer_id)
    services.sheet_recuse(actor=expert, sheet=sheet, reason="曾在该馆兼职")
    assert Conflict.objects.filter(expert_id=sheet.expert_id, organization=a.base).exists()
    live = ScoreSheet.objects.filter(application=app, status=SheetStatus.PENDING)
    assert live.count() == 3 and sheet.expert_id not in set(live.values_list("expert_id", flat=True))


def test_certify_waits_for_the_pass_line_and_thresholds(bworld):
    a = bworld.a
    app = start(a, base_for(a, exhibition_area=100))
    app = advance(app, a, "inspect", a.experts)
    with pytest.raises(TooEarly) as exc:
        services.application_transition(
            actor=a.admin, application=app, action="certify", data={"notice_days": 7, "term_years": 3}
        )
    assert "展区面积（平方米）为100" in str(exc.value.message)
    services.application_transition(actor=a.admin, application=app, action="refuse", reason="展区面积不足")
    app.refresh_from_db()
    assert app.status == "refused" and app.decision_note == "展区面积不足"


def test_the_notice_must_run_and_objections_be_answered_before_the_title(bworld):
    a = bworld.a
    app = advance(start(a), a, "certify", a.experts)
    with pytest.raises(TooEarly):
        services.application_transition(actor=a.admin, application=app, action="confirm")
    objection = services.objection_lodge(actor=a.resident, application=app, text="开放时间与实际不符")
    with clock.frozen_at(app.notice_ends_at + timedelta(minutes=1)):
        with pytest.raises(TooEarly) as exc:
            services.application_transition(actor=a.admin, application=app, action="confirm")
        assert "有1条异议等待答复" in str(exc.value.message)
        with pytest.raises(DomainError):  # the notice is over: no more objections
            services.objection_lodge(actor=a.resident, application=app, text="又一个异议内容")
    services.objection_answer(actor=a.admin, objection=objection, answer="已核实，开放时间一致", upheld=False)
    with clock.frozen_at(app.notice_ends_at + timedelta(minutes=1)):
        services.application_transition(actor=a.admin, application=app, action="confirm")
    assert Application.objects.get(pk=app.pk).status == "certified"


def test_the_district_recommends_its_base_and_the_city_runs_the_same_stages(bworld):
    a = bworld.a
    base = certified_base(a, a.experts)
    app = base.applications.get()
    services.application_transition(actor=a.admin, application=app, action="recommend", data={"recommendation": "推荐"})
    city = base.applications.get(level="city")
    assert city.status == "submitted" and city.materials.count() == 2 and city.recommended_from == app
    # The district may not run the city's stages; the city may.
    with pytest.raises(DomainError):
        services.application_transition(actor=a.admin, application=city, action="accept", data={"experts": 3})
    services.application_transition(actor=bworld.city_admin, application=city, action="accept", data={"experts": 3})
    assert Application.objects.get(pk=city.pk).status == "expert_review"
    assert not workflow.CERTIFICATION.allowed(a.admin, app, "recommend")  # once is enough


def test_a_revoked_base_leaves_the_list_and_its_booking_closes_but_tickets_stand(bworld):
    from kepu.activities import services as activity_services
    from kepu.activities.models import Registration
    from kepu.bases.selectors import public_bases
    from kepu.notifications.models import Notification

    a = bworld.a
    base = certified_base(a, a.experts)
    visit = activity_services.venue_publish_slots(
        actor=a.base_staff, venue=base.venue, first_day=timezone.localdate() + timedelta(days=1),
        last_day=timezone.localdate() + timedelta(days=3),
    )  # fmt: skip
    session = visit.sessions.order_by("starts_at").first()
    ticket = activity_services.registration_create(actor=a.resident, session=session)
    assert base in public_bases()
    year = timezone.localdate().year
    services.reviews_start(actor=a.admin, year=year)
    review = base.reviews.get()
    services.review_transition(
        actor=a.base_staff, review=review, action="submit",
        data={"visitors_unbooked": 0, "sessions_off_platform": 0, "funding": "1", "new_exhibits": 0, "report": "无"},
    )  # fmt: skip
    services.review_transition(actor=a.admin, review=review, action="score", data=full_scores(review, [1] * 5))
    services.review_transition(actor=a.admin, review=review, action="revoke", reason="开放不足")
    base.refresh_from_db()
    assert base.standing == "revoked" and base not in public_bases()
    assert Registration.objects.get(pk=ticket.pk).status == "confirmed"  # honoured
    assert Notification.objects.filter(recipient=a.resident.user, kind="kepu.activities.venue.closed").count() == 1
    other = next(p for p in (a.neighbour,))
    with pytest.raises(DomainError):
        activity_services.registration_create(actor=other, session=session)


def test_a_term_that_ends_takes_the_base_off_the_list(bworld):
    from kepu.bases.selectors import public_bases

    a = bworld.a
    base = certified_base(a, a.experts)
    after = base.term_end + timedelta(days=1)
    with clock.frozen_at(timezone.make_aware(timezone.datetime(after.year, after.month, after.day, 12))):
        assert base not in public_bases()
        assert services.bases_expire() == 1
    assert Base.objects.get(pk=base.pk).standing == "expired"


def test_spot_checks_are_drawn_reproducibly_from_their_seed(bworld):
    import random

    a = bworld.a
    bases = [certified_base(a, a.experts, name=f"基地{i}") for i in range(4)]
    year = timezone.localdate().year
    assert services.reviews_start(actor=a.admin, year=year) == 4
    report = {"visitors_unbooked": 9000, "sessions_off_platform": 1, "funding": "2", "new_exhibits": 1, "report": "好"}
    for base in bases:
        services.review_transition(actor=a.base_staff, review=base.reviews.get(), action="submit", data=report)
    draw = services.spot_checks_draw(actor=a.admin, year=year, count=2)
    assert draw.drawn == sorted(random.Random(draw.seed).sample(draw.pool, 2))
    assert sorted(r.pk for r in bases[0].reviews.model.objects.filter(spot_check=True)) == draw.drawn
    # A drawn review is decided only after its spot check.
    review = bases[0].reviews.model.objects.get(pk=draw.drawn[0])
    services.review_transition(actor=a.admin, review=review, action="score", data=full_scores(review))
    review.refresh_from_db()
    assert not workflow.REVIEW.allowed(a.admin, review, "keep")
    services.review_transition(
        actor=a.admin,
        review=review,
        action="inspect",
        data={"inspected_on": timezone.localdate().isoformat(), "findings": "核查一致"},
    )
    review.refresh_from_db()
    assert workflow.REVIEW.allowed(a.admin, review, "keep") or workflow.REVIEW.waiting(a.admin, review)
