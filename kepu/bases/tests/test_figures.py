"""The annual self-report's figures equal an independent recount from the records, and follow the records.

The records are made through the services of the apps that keep them (activities: slots, bookings,
check-ins, walk-ins, an activity; volunteers: the hours ledger; orders: a delivered order); the recount
reads their rows directly, by the definitions in ``kepu.bases.figures``.
"""

from datetime import timedelta

import pytest
from django.db.models import Q, Sum
from django.utils import timezone

from kepu.activities import services as activities
from kepu.activities.models import Registration, Session, WalkIn
from kepu.activities.tests.factories import published_activity, residents
from kepu.bases import figures
from kepu.bases.tests.factories import base_for
from kepu.core import clock
from kepu.orders.models import Order
from kepu.orders.tests.factories import add_order_parties, place_order
from kepu.orders.tests.factories import advance as order_advance
from kepu.volunteers import services as volunteers
from kepu.volunteers.models import HoursEntry
from kepu.volunteers.tests.factories import member_volunteer

pytestmark = pytest.mark.django_db


def recount(base, year: int) -> dict:
    """The figures counted from the rows themselves."""
    now = clock.now()
    tz = timezone.get_current_timezone()
    in_year = Q(starts_at__year=year, starts_at__lte=now, is_cancelled=False, activity__status="published")
    visits = Session.objects.filter(in_year, activity__venue=base.venue, activity__kind="visit")
    held = Session.objects.filter(in_year, activity__organization=base.organization).exclude(activity__kind="visit")
    regs = Registration.objects.filter(session__in=visits)
    checked = regs.filter(checked_in_at__isnull=False).aggregate(n=Sum("head_count"))["n"] or 0
    walk_ins = WalkIn.objects.filter(session__in=visits).aggregate(n=Sum("head_count"))["n"] or 0
    held_people = (
        Registration.objects.filter(session__in=held, checked_in_at__isnull=False).aggregate(n=Sum("head_count"))["n"]
        or 0
    ) + (WalkIn.objects.filter(session__in=held).aggregate(n=Sum("head_count"))["n"] or 0)
    activity_ids = list(held.values_list("activity_id", flat=True).distinct()) + list(
        visits.values_list("activity_id", flat=True).distinct()
    )
    entries = [
        e
        for e in HoursEntry.objects.all()
        if any(e.key.startswith(f"activity:{i}:") for i in activity_ids) and e.served_on.year == year
    ]
    corrections = HoursEntry.objects.filter(corrects__in=[e.pk for e in entries])
    minutes = sum(e.minutes for e in entries) + sum(c.minutes for c in corrections)
    orders = Order.objects.filter(
        Q(unit=base.organization) | Q(provider=base.organization) | Q(service_item__provider=base.organization),
        status__in=("delivered", "rated", "closed"),
        delivered_at__year=year,
    )
    return {
        "open_days": len({timezone.localtime(s.starts_at, tz).date() for s in visits}),
        "slots": visits.count(),
        "bookings": regs.filter(Q(status="confirmed") | Q(checked_in_at__isnull=False)).aggregate(n=Sum("head_count"))[
            "n"
        ]
        or 0,
        "checked_in": checked,
        "walk_ins": walk_ins,
        "visitors": checked + walk_ins,
        "activities": held.count(),
        "person_times": held_people,
        "volunteer_hours": round(minutes / 60, 1),
        "orders": orders.count(),
    }


@pytest.fixture
def scene(bworld):
    """A lab hosted by a member unit, with a year of visits, an activity, volunteer hours and a delivered order."""
    a = bworld.a
    add_order_parties(bworld)
    host = a.unit_staff
    base = base_for(a, actor=host, name="疾控科普实验室")
    now = clock.now()
    first = timezone.localdate(now) - timedelta(days=12)
    people = residents(bworld, 6)
    with clock.frozen_at(now - timedelta(days=20)):
        visit = activities.venue_publish_slots(
            actor=host, venue=base.venue, first_day=first, last_day=first + timedelta(days=2)
        )
        future = activities.venue_publish_slots(
            actor=host,
            venue=base.venue,
            first_day=timezone.localdate(now) + timedelta(days=3),
            last_day=timezone.localdate(now) + timedelta(days=3),
        )
        slots = list(visit.sessions.order_by("starts_at"))
        tickets = [activities.registration_create(actor=p, session=slots[i % 3]) for i, p in enumerate(people)]
        lecture = published_activity(host, title="实验室开放讲座", starts_at=now - timedelta(days=5), capacity=30)
        lecture_ticket = activities.registration_create(actor=people[0], session=lecture.sessions.get())
    for t in tickets[:4]:
        with clock.frozen_at(t.session.starts_at + timedelta(minutes=5)):
            activities.check_in(actor=host, activity=visit, registration=t)
    with clock.frozen_at(slots[0].starts_at + timedelta(minutes=10)):
        activities.walk_in_record(actor=host, session=slots[0], head_count=4, population="youth")
    with clock.frozen_at(lecture.sessions.get().starts_at + timedelta(minutes=5)):
        activities.check_in(actor=host, activity=lecture, registration=lecture_ticket)
    with clock.frozen_at(lecture.sessions.get().starts_at + timedelta(minutes=10)):
        activities.walk_in_record(actor=host, session=lecture.sessions.get(), head_count=7, population="elderly")
    _resident, vol = member_volunteer(a.team, a.team_staff)
    served = timezone.localdate(lecture.sessions.get().starts_at)
    entry, _ = volunteers.credit_hours(
        volunteer=vol, organization=a.team, minutes=150, source="activity",
        key=("activity", lecture.pk, "need", 1, vol.pk), served_on=served,
    )  # fmt: skip
    volunteers.hours_correct(actor=a.team_staff, entry=entry, minutes=-30, reason="提前离开")
    other = published_activity(a.school_staff, title="别处的活动")
    volunteers.credit_hours(
        volunteer=vol, organization=a.team, minutes=600, source="activity",
        key=("activity", other.pk, "need", 2, vol.pk), served_on=served,
    )  # fmt: skip
    order_advance(place_order(a.resident), a, "deliver")
    year = first.year
    return bworld, base, year, visit, slots, tickets, future


def test_the_self_report_equals_an_independent_recount(scene):
    world, base, year, *_ = scene
    counted = figures.base_figures(base, year)
    assert counted == recount(base, year)
    # And the recount is about something: every source contributes.
    assert counted["open_days"] == 3 and counted["checked_in"] == 4 and counted["walk_ins"] == 4
    assert counted["visitors"] == 8 and counted["bookings"] == 6
    assert counted["activities"] == 1 and counted["person_times"] == 8
    assert counted["volunteer_hours"] == 2.0 and counted["orders"] == 1


def test_the_figures_follow_the_records(scene):
    world, base, year, visit, slots, tickets, future = scene
    a = world.a
    before = figures.base_figures(base, year)
    with clock.frozen_at(tickets[4].session.starts_at + timedelta(minutes=5)):
        activities.check_in(actor=a.unit_staff, activity=visit, registration=tickets[4])
    with clock.frozen_at(slots[1].starts_at + timedelta(minutes=10)):
        activities.walk_in_record(actor=a.unit_staff, session=slots[1], head_count=2, population="elderly")
    after = figures.base_figures(base, year)
    assert after["checked_in"] == before["checked_in"] + 1
    assert after["walk_ins"] == before["walk_ins"] + 2
    assert after["visitors"] == before["visitors"] + 3
    assert after == recount(base, year)
    # A slot that begins in three days is no open day yet; once it has begun, it is.
    later = future.sessions.order_by("starts_at").last()
    assert later.starts_at > clock.now()
    with clock.frozen_at(later.starts_at + timedelta(minutes=1)):
        if timezone.localtime(later.starts_at).year == year:
            assert figures.base_figures(base, year)["open_days"] == after["open_days"] + 1
    assert figures.base_figures(base, year)["open_days"] == after["open_days"]


def test_the_submitted_self_report_keeps_its_figures_and_the_page_shows_the_change(scene, client):
    from kepu.bases import services
    from kepu.bases.tests.factories import full_scores  # noqa: F401
    from kepu.core.testing.web import login

    world, base, year, visit, slots, tickets, future = scene
    a = world.a
    base.standing, base.level = "certified", "district"
    base.term_start, base.term_end = (
        timezone.localdate() - timedelta(days=300),
        timezone.localdate() + timedelta(days=700),
    )
    base.save()
    services.reviews_start(actor=a.admin, year=year)
    review = base.reviews.get()
    report = {"visitors_unbooked": 100, "sessions_off_platform": 0, "funding": "1", "new_exhibits": 0, "report": "好"}
    services.review_transition(actor=a.unit_staff, review=review, action="submit", data=report)
    review.refresh_from_db()
    assert {k: review.figures[k] for k in figures.KEYS} == recount(base, year)
    with clock.frozen_at(slots[2].starts_at + timedelta(minutes=10)):
        activities.walk_in_record(actor=a.unit_staff, session=slots[2], head_count=5, population="youth")
    page = login(client, a.admin).get(f"/bases/reviews/{review.pk}/")
    assert page.status_code == 200
    text = page.content.decode()
    assert f"{review.figures['walk_ins']}" in text and f"{review.figures['walk_ins'] + 5}" in text
    records = client.get(f"/bases/reviews/{review.pk}/records/visits/")
    assert records.status_code == 200 and records.context["page"].paginator.count == review.figures["slots"] == 18
