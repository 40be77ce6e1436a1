"""Property-based: after any sequence of sign-ups, cancellations, check-ins, walk-ins, surveys, edits, new sessions,
cancellations of the activity and delivered service orders, the monthly roll-up equals a recomputation.

The recomputation starts from the registrations and walk-ins themselves (not only the session
tallies), so a tally that drifted would show too; and the dashboard's figures read from the
roll-up equal the same figures summed from the sessions.
"""

from datetime import date, datetime, timedelta

import pytest
from django.utils import timezone
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from kepu.activities import rollup, selectors, services
from kepu.activities.models import (
    ACTIVE,
    ATTENDANCE_FIELDS,
    DeliveredService,
    FiguresMonth,
    FiguresMonthDistrict,
    Registration,
    Session,
    Theme,
    WalkIn,
)
from kepu.activities.selectors.figures import _figures_sessions
from kepu.activities.tests.factories import after_the_session, at_the_door, published_activity, residents
from kepu.core import clock
from kepu.core.errors import DomainError
from kepu.core.populations import Population

pytestmark = pytest.mark.django_db

POPS = list(Population.values)
op = st.one_of(
    st.tuples(st.just("signup"), st.integers(0, 7), st.integers(0, 3)),
    st.tuples(st.just("attend"), st.integers(0, 7), st.integers(0, 3)),
    st.tuples(st.just("group"), st.integers(1, 4), st.integers(0, 3)),
    st.tuples(st.just("cancel"), st.integers(0, 30), st.just(0)),
    st.tuples(st.just("checkin"), st.integers(0, 30), st.just(0)),
    st.tuples(st.just("survey"), st.integers(0, 30), st.integers(1, 5)),
    st.tuples(st.just("walkin"), st.integers(0, 3), st.integers(1, 9)),
    st.tuples(st.just("theme"), st.integers(0, 2), st.integers(0, 1)),
    st.tuples(st.just("place"), st.integers(0, 3), st.integers(0, 1)),
    st.tuples(st.just("session"), st.integers(0, 1), st.integers(20, 50)),
    st.tuples(st.just("cancel_activity"), st.integers(0, 1), st.just(0)),
    st.tuples(st.just("order"), st.integers(0, 3), st.integers(0, 9)),
)


def from_registrations() -> dict:
    """Every counted session's figures from its registrations, walk-ins and surveys, keyed like the roll-up."""
    rows = []
    for s in Session.objects.filter(counted=True, is_cancelled=False).values(*rollup.SESSION_VALUES):
        regs = list(Registration.objects.filter(session_id=s["pk"]).select_related("survey"))
        walk = list(WalkIn.objects.filter(session_id=s["pk"]))
        s = dict(s)
        s["registered"] = sum(r.head_count for r in regs if r.status in ACTIVE)
        s["checked_in"] = sum(r.head_count for r in regs if r.checked_in_at)
        s["walk_in_count"] = sum(w.head_count for w in walk)
        for p, f in ATTENDANCE_FIELDS.items():
            s[f] = sum(r.head_count for r in regs if r.checked_in_at and r.population == p) + sum(
                w.head_count for w in walk if w.population == p
            )
        surveys = [r.survey.score for r in regs if hasattr(r, "survey")]
        s["survey_sum"], s["survey_count"] = sum(surveys), len(surveys)
        rows.append(rollup.session_contribution(s))
    rows += [rollup.service_contribution(r) for r in DeliveredService.objects.values(*rollup.SERVICE_VALUES)]
    out = {}
    for key, figures in rollup._sum(rows).items():
        figures = {f: v for f, v in figures.items() if v}
        if figures:
            out[key] = figures
    return out


@settings(
    max_examples=15, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow]
)
@given(ops=st.lists(op, min_size=1, max_size=20))
def test_rollup_equals_a_recomputation_after_any_sequence(world, ops):
    tz = timezone.get_current_timezone()
    # Sessions straddle a month's end (local time), so moves between months are exercised.
    start = datetime(2026, 5, 27, 10, 0, tzinfo=tz)
    people = world.__dict__.setdefault("_pool", residents(world, 8))
    themes = list(Theme.objects.order_by("pk")[:2]) or [None, None]
    staff = world.a.unit_staff
    places = [world.a.place, world.a.communities[0], world.a.streets[1], world.a.communities[-1]]
    with clock.frozen_at(start - timedelta(days=20)):
        acts = [
            published_activity(staff, capacity=3, sessions=2, starts_at=start),
            published_activity(
                world.a.school_staff, capacity=2, sessions=1, starts_at=start + timedelta(days=3), theme=themes[0]
            ),
        ]
        managers = {acts[0].pk: staff, acts[1].pk: world.a.school_staff}
        made: list[Registration] = []
        for kind, a, b in ops:
            sessions = list(Session.objects.filter(activity__in=acts).order_by("pk"))
            try:
                if kind == "signup":
                    made.append(services.registration_create(actor=people[a], session=sessions[b % len(sessions)]))
                elif kind == "attend":  # sign up, be checked in and answer the survey
                    s = sessions[b % len(sessions)]
                    r = services.registration_create(actor=people[a], session=s)
                    made.append(r)
                    with at_the_door(s):  # counted only while the door is open
                        services.check_in(actor=managers[s.activity_id], activity=s.activity, registration=r)
                    with after_the_session(s):  # asked only once it is over
                        services.survey_submit(actor=people[a], registration=r, score=1 + (a + b) % 5)
                elif kind == "group":
                    made.append(
                        services.registration_create(
                            actor=staff,
                            session=sessions[b % len(sessions)],
                            on_behalf=True,
                            name="班级",
                            head_count=a,
                            population=POPS[a % len(POPS)],
                        )
                    )
                elif kind == "cancel" and made:
                    r = made[a % len(made)]
                    services.registration_cancel(actor=managers[r.session.activity_id], registration=r)
                elif kind == "checkin" and made:
                    r = made[a % len(made)]
                    with at_the_door(Session.objects.get(pk=r.session_id)):
                        services.check_in(
                            actor=managers[r.session.activity_id], activity=r.session.activity, registration=r
                        )
                elif kind == "survey" and made:
                    r = Registration.objects.get(pk=made[a % len(made)].pk)
                    if r.user_id:
                        owner = next(p for p in people if p.user.pk == r.user_id)
                        with after_the_session(r.session):
                            services.survey_submit(actor=owner, registration=r, score=b)
                elif kind == "walkin":
                    s = sessions[a % len(sessions)]
                    with at_the_door(s):
                        services.walk_in_record(
                            actor=managers[s.activity_id], session=s, head_count=b, population=POPS[b % len(POPS)]
                        )
                elif kind == "theme":
                    services.activity_update(actor=staff, activity=acts[b], theme=themes[a] if a < 2 else None)
                elif kind == "place":
                    services.activity_update(actor=staff, activity=acts[b], place=places[a])
                elif kind == "session":
                    s_start = start + timedelta(days=b)
                    services.session_add(
                        actor=staff,
                        activity=acts[a],
                        starts_at=s_start,
                        ends_at=s_start + timedelta(hours=2),
                        capacity=2,
                    )
                elif kind == "cancel_activity":
                    services.activity_cancel(actor=staff, activity=acts[a], reason="天气")
                elif kind == "order":
                    services.delivered_service_record(
                        order_id=1000 + a,
                        place=places[a],
                        delivered_at=start + timedelta(days=a * 3),
                        organization=world.a.team,
                        attendance={POPS[b % len(POPS)]: b},
                        activity_id=acts[0].pk if b == 9 else None,
                    )
            except DomainError:
                pass
            acts = [type(x).objects.get(pk=x.pk) for x in acts]
            want = from_registrations()
            assert rollup.stored((FiguresMonth, FiguresMonthDistrict)) == (want, rollup.by_district(want))
    periods = (
        (date(2026, 1, 1), date(2026, 12, 31)),
        (date(2026, 5, 1), date(2026, 6, 30)),
        (date(2026, 5, 29), date(2026, 7, 2)),
    )
    for who in (world.city_admin, world.a.admin, world.a.street_staff, staff):
        for d_from, d_to in periods:
            via_rollup = selectors.figures(actor=who, date_from=d_from, date_to=d_to)
            assert via_rollup == _figures_sessions(actor=who, date_from=d_from, date_to=d_to)
            # Broken down by place, organizer or theme, the rows add up to the same figures, each row once.
            for by in selectors.BREAKDOWNS:
                rows = selectors.figures_breakdown(actor=who, date_from=d_from, date_to=d_to, by=by)
                assert len({r["key"] for r in rows}) == len(rows)
                for name in (
                    "sessions",
                    "activities",
                    "registrations",
                    "checked_in",
                    "walk_ins",
                    "services",
                    "person_times",
                ):
                    assert sum(r[name] for r in rows) == getattr(via_rollup, name), (by, name, who)
        org = selectors.figures(
            actor=world.a.admin, date_from=periods[0][0], date_to=periods[0][1], organization_id=world.a.unit.pk
        )
        assert org == _figures_sessions(
            actor=world.a.admin, date_from=periods[0][0], date_to=periods[0][1], organization_id=world.a.unit.pk
        )


def test_rebuild_replaces_a_damaged_rollup(world):
    from django.core.management import CommandError, call_command

    a = published_activity(world.a.unit_staff, capacity=5)
    services.registration_create(actor=residents(world, 1)[0], session=a.sessions.get())
    assert FiguresMonth.objects.get().registered == 1 == FiguresMonthDistrict.objects.get().registered
    FiguresMonthDistrict.objects.update(registered=7)
    with pytest.raises(CommandError):
        call_command("activities_rebuild", "--check")
    call_command("activities_rebuild")
    row, district = FiguresMonth.objects.get(), FiguresMonthDistrict.objects.get()
    assert (
        (row.registered, row.sessions, row.activities)
        == (1, 1, 1)
        == (district.registered, district.sessions, district.activities)
    )
    call_command("activities_rebuild", "--check")
