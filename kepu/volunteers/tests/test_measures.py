"""Plan targets can be bound to the trainings given (sessions held and people trained)."""

from datetime import timedelta
from decimal import Decimal

import pytest
from django.utils import timezone

from kepu.plans.measures import compute_measure, measure_records_url
from kepu.volunteers import services
from kepu.volunteers.tests.factories import member_volunteer

pytestmark = pytest.mark.django_db

SESSIONS, TRAINED = "volunteers.training_sessions", "volunteers.people_trained"


def test_trainings_count_where_they_were_given_and_when(world):
    staff = world.a.team_staff
    training = services.training_create(actor=staff, title="应急救护培训", hours=4)
    now = timezone.now()
    held = services.training_session_create(actor=staff, training=training, starts_at=now - timedelta(days=1))
    services.training_session_create(actor=staff, training=training, starts_at=now + timedelta(days=7))  # not yet
    for _ in range(3):
        _actor, volunteer = member_volunteer(world.a.team, staff)
        services.training_attendance_record(actor=staff, session=held, volunteer=volunteer)
    # Recording the same attendance again is not a second person-time.
    services.training_attendance_record(actor=staff, session=held, volunteer=volunteer)

    here, there = {"place": world.a.place.code}, {"place": world.b.place.code}
    assert compute_measure(SESSIONS, here) == Decimal(1)
    assert compute_measure(TRAINED, here) == Decimal(3)
    assert compute_measure(SESSIONS, there) == compute_measure(TRAINED, there) == Decimal(0)
    assert compute_measure(TRAINED, {**here, "organization": world.a.team.pk}) == Decimal(3)
    assert compute_measure(TRAINED, {**here, "organization": world.b.team.pk}) == Decimal(0)
    assert compute_measure(TRAINED, {"year": held.starts_at.year}) == Decimal(3)
    assert compute_measure(TRAINED, {"year": 1999}) == Decimal(0)
    day = timezone.localdate(held.starts_at).isoformat()
    assert compute_measure(SESSIONS, {"date_from": day, "date_to": day}) == Decimal(1)
    assert compute_measure(SESSIONS, {"place": "no-such-place"}) == Decimal(0)
    assert measure_records_url(TRAINED, here).endswith("/trainings/")
