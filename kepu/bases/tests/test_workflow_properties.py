"""Property-based: random people trying random steps never break the certification or the annual review.

Whatever sequence of steps random people try, an application only makes moves the machine declares,
never skips a stage of the main line, never records a refusal or a step back without a reason, and
nobody acts outside their party (a refused step changes nothing and writes no history). The same for
the annual review, where a spot-checked review is never decided before its inspection.
"""

from datetime import timedelta

import pytest
from hypothesis import HealthCheck, settings
from hypothesis import strategies as st
from hypothesis.stateful import RuleBasedStateMachine, initialize, invariant, rule, run_state_machine_as_test

from kepu.bases import services, workflow
from kepu.bases.models import AnnualReview, Application, ApplicationEvent, Base, ReviewEvent, ScoreSheet, SheetStatus
from kepu.bases.tests.factories import base_for, certified_base, full_scores, start
from kepu.core import clock
from kepu.core.errors import DomainError

pytestmark = pytest.mark.django_db

ACTIONS = sorted(workflow.CERTIFICATION.transitions)
REVIEW_ACTIONS = sorted(workflow.REVIEW.transitions)
MAIN = list(workflow.MAIN_LINE)
SETTINGS = settings(
    max_examples=25,
    stateful_step_count=25,
    deadline=None,
    derandomize=True,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.function_scoped_fixture],
)


def _people(world):
    people = []
    for key in ("a", "b"):
        d = getattr(world, key)
        people += [d.base_staff, d.admin, d.resident, d.unit_staff, d.street_staff, d.school_staff, *d.experts[:2]]
    people.append(world.city_admin)
    return people


def _payload(app, action, reason, when):
    data = {"reason": "理由说明" if reason else ""}
    if action == "accept":
        data["experts"] = 3
    elif action == "inspect":
        data.update(inspected_on=when.date().isoformat(), inspectors="李", findings="合格", passed="yes")
    elif action == "certify":
        data.update(notice_days=5, term_years=3)
    elif action == "recommend":
        data["recommendation"] = "推荐"
    return data


def test_random_steps_by_random_people_keep_the_certification_sound(bworld):
    people = _people(bworld)
    a = bworld.a
    experts = {e.user.pk: e for e in a.experts + bworld.b.experts}
    reached: set[str] = set()

    class Certification(RuleBasedStateMachine):
        @initialize()
        def apply(self):
            self.now = clock.now()
            with clock.frozen_at(self.now):
                self.app = start(a, base_for(a, name=f"基地{Application.objects.count()}"))

        def _try(self, actor, action, reason):
            before = Application.objects.get(pk=self.app.pk)
            events = ApplicationEvent.objects.filter(application=before).count()
            sheets = ScoreSheet.objects.filter(application=before).count()
            with clock.frozen_at(self.now):
                may = workflow.CERTIFICATION.allowed(actor, before, action)
            data = _payload(before, action, reason, self.now)
            try:
                with clock.frozen_at(self.now):
                    services.application_transition(
                        actor=actor, application=before, action=action, reason=data.pop("reason"), data=data
                    )
                done = True
            except DomainError:
                done = False
            after = Application.objects.get(pk=before.pk)
            if done:
                assert may, (actor, action, before.status)
                t = workflow.CERTIFICATION[action]
                assert actor.role in t.roles
                assert workflow.CERTIFICATION.is_legal_move(before.status, after.status)
                if before.status in MAIN and after.status in MAIN:
                    assert MAIN.index(after.status) <= MAIN.index(before.status) + 1, "skipped a stage"
                event = ApplicationEvent.objects.filter(application=after).order_by("-pk").first()
                assert event.action == action and event.actor_id == actor.user.pk
                if t.negative:
                    assert event.reason.strip(), "a refusal or step back without a reason"
                reached.add(after.status)
            else:
                assert after.status == before.status and after.updated_at == before.updated_at
                assert ApplicationEvent.objects.filter(application=after).count() == events
                assert ScoreSheet.objects.filter(application=after).count() == sheets

        @rule(who=st.integers(0, len(people) - 1), action=st.sampled_from(ACTIONS), reason=st.booleans())
        def anyone_tries(self, who, action, reason):
            self._try(people[who], action, reason)

        @rule(pick=st.integers(0, 10_000), reason=st.booleans())
        def someone_who_may(self, pick, reason):
            """Steers the walk into the machine: one of the moves someone may make now."""
            app = Application.objects.get(pk=self.app.pk)
            with clock.frozen_at(self.now):
                pairs = [(p, t.name) for p in people for t in workflow.CERTIFICATION.available(p, app)]
            if pairs:
                actor, action = pairs[pick % len(pairs)]
                self._try(actor, action, reason)

        @rule(pick=st.integers(0, 10_000))
        def forward(self, pick):
            """Steers the walk down the main line, and lets experts score and time pass where it waits."""
            app = Application.objects.get(pk=self.app.pk)
            pending = ScoreSheet.objects.filter(application=app, status=SheetStatus.PENDING)
            if app.status == "expert_review" and pending.exists():
                sheet = pending[pick % pending.count()]
                with clock.frozen_at(self.now):
                    services.sheet_submit(actor=experts[sheet.scorer_id], sheet=sheet, data=full_scores(app))
                return
            if app.status == "notice" and app.notice_ends_at and self.now <= app.notice_ends_at:
                self.now = app.notice_ends_at + timedelta(minutes=1)
            with clock.frozen_at(self.now):
                pairs = [
                    (p, t.name) for p in people for t in workflow.CERTIFICATION.available(p, app) if not t.negative
                ]
            if pairs:
                actor, action = pairs[pick % len(pairs)]
                self._try(actor, action, True)

        @invariant()
        def history_has_only_legal_moves(self):
            if hasattr(self, "app"):
                for e in ApplicationEvent.objects.filter(application_id=self.app.pk).exclude(action="start"):
                    assert workflow.CERTIFICATION.is_legal_move(e.from_status, e.to_status), e.action

        @invariant()
        def a_title_only_after_the_notice(self):
            if hasattr(self, "app"):
                app = Application.objects.get(pk=self.app.pk)
                if app.status == "certified":
                    assert app.notice_ends_at <= app.certified_at and app.inspection_passed is True

    run_state_machine_as_test(Certification, settings=SETTINGS)
    # The walks got deep into the machine, so the properties held where it matters.
    assert {"submitted", "expert_review", "inspection", "decision", "notice", "certified"} <= reached, reached


def test_random_steps_keep_the_annual_review_sound(bworld):
    people = _people(bworld)
    a = bworld.a
    bases = [certified_base(a, a.experts, name=f"考核基地{i}") for i in range(2)]
    year = clock.now().year
    reached: set[str] = set()

    def payload(action, reason):
        data = {"reason": "理由说明" if reason else ""}
        if action == "submit":
            data.update(visitors_unbooked=6000, sessions_off_platform=1, funding="3", new_exhibits=1, report="年度报告")
        elif action == "score":
            data.update(full_scores(bases[0].reviews.model.objects.first()))
        elif action == "inspect":
            data.update(inspected_on=clock.now().date().isoformat(), findings="一致")
        elif action == "rectify":
            data["rectify_by"] = (clock.now().date() + timedelta(days=30)).isoformat()
        elif action == "report_rectification":
            data["rectification"] = "已整改"
        return data

    class Review(RuleBasedStateMachine):
        @initialize(spot=st.booleans())
        def open_review(self, spot):
            AnnualReview.objects.filter(base__in=bases).delete()
            # A walk before may have revoked the base: each walk starts from a base in force.
            Base.objects.filter(pk__in=[b.pk for b in bases]).update(standing="certified")
            services.reviews_start(actor=a.admin, year=year)
            self.review = AnnualReview.objects.filter(base=bases[0]).get()
            if spot:
                AnnualReview.objects.filter(pk=self.review.pk).update(spot_check=True)

        def _try(self, actor, action, reason):
            before = AnnualReview.objects.get(pk=self.review.pk)
            events = ReviewEvent.objects.filter(review=before).count()
            may = workflow.REVIEW.allowed(actor, before, action)
            data = payload(action, reason)
            try:
                services.review_transition(
                    actor=actor, review=before, action=action, reason=data.pop("reason"), data=data
                )
                done = True
            except DomainError:
                done = False
            after = AnnualReview.objects.get(pk=before.pk)
            if done:
                assert may and actor.role in workflow.REVIEW[action].roles
                assert workflow.REVIEW.is_legal_move(before.status, after.status)
                if after.status in ("kept", "rectifying", "revoked") and after.spot_check:
                    assert after.inspected_on is not None, "decided before the spot check"
                event = ReviewEvent.objects.filter(review=after).order_by("-pk").first()
                assert event.action == action
                if workflow.REVIEW[action].negative:
                    assert event.reason.strip()
                reached.add(after.status)
            else:
                assert after.status == before.status and ReviewEvent.objects.filter(review=after).count() == events

        @rule(who=st.integers(0, len(people) - 1), action=st.sampled_from(REVIEW_ACTIONS), reason=st.booleans())
        def anyone_tries(self, who, action, reason):
            self._try(people[who], action, reason)

        @rule(pick=st.integers(0, 10_000), reason=st.booleans())
        def someone_who_may(self, pick, reason):
            review = AnnualReview.objects.get(pk=self.review.pk)
            pairs = [(p, t.name) for p in people for t in workflow.REVIEW.available(p, review)]
            if pairs:
                actor, action = pairs[pick % len(pairs)]
                self._try(actor, action, reason)

    run_state_machine_as_test(Review, settings=SETTINGS)
    assert {"submitted", "scored", "kept"} <= reached, reached
