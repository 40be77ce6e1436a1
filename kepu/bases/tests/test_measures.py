"""Figures offered to plan targets: bases certified by level, open days and visitors at bases."""

from datetime import timedelta

import pytest
from django.utils import timezone

from kepu.activities import services as activities
from kepu.bases.models import Base
from kepu.bases.tests.factories import certified_base
from kepu.core import clock
from kepu.plans.measures import compute_measure, get_measure, measure_records_url

pytestmark = pytest.mark.django_db


def test_bases_certified_by_level_and_place(bworld):
    a, b = bworld.a, bworld.b
    certified_base(a, a.experts, name="甲一")
    second = certified_base(a, a.experts, name="甲二")
    certified_base(b, b.experts, name="乙一")
    Base.objects.filter(pk=second.pk).update(level="city")
    assert compute_measure("bases.certified", {}) == 3
    assert compute_measure("bases.certified", {"place": a.place.code}) == 2
    assert compute_measure("bases.certified.city", {}) == 1
    assert compute_measure("bases.certified.district", {"place": b.place.code}) == 1
    assert compute_measure("bases.certified", {"place": "nowhere"}) == 0
    Base.objects.filter(pk=second.pk).update(standing="revoked")
    assert compute_measure("bases.certified", {"place": a.place.code}) == 1
    assert measure_records_url("bases.certified", {"place": a.place.code}) == f"/bases/?district={a.place.code}"
    assert get_measure("bases.visitors").unit == "人次"


def test_open_days_and_visitors_come_from_the_bases_visit_slots(bworld):
    a = bworld.a
    base = certified_base(a, a.experts)
    now = clock.now()
    first = timezone.localdate(now) - timedelta(days=5)
    with clock.frozen_at(now - timedelta(days=10)):
        visit = activities.venue_publish_slots(
            actor=a.base_staff, venue=base.venue, first_day=first, last_day=first + timedelta(days=1)
        )
        ticket = activities.registration_create(actor=a.resident, session=visit.sessions.order_by("starts_at").first())
    with clock.frozen_at(ticket.session.starts_at + timedelta(minutes=5)):
        activities.check_in(actor=a.base_staff, activity=visit, registration=ticket)
    with clock.frozen_at(ticket.session.starts_at + timedelta(minutes=10)):
        activities.walk_in_record(actor=a.base_staff, session=ticket.session, head_count=3, population="youth")
    year = {"year": first.year}
    assert compute_measure("bases.open_days", year) == 2
    assert compute_measure("bases.visitors", year) == 4
    assert compute_measure("bases.visitors", {**year, "place": bworld.b.place.code}) == 0
