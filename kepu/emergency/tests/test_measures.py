"""People trained in emergency skills (应急演练 and training): checked-in person-times of activities of those kinds."""

from datetime import datetime, timedelta
from decimal import Decimal

import pytest
from django.utils import timezone

from kepu.core import clock
from kepu.core.measures import compute_measure, get_measure, put_measure, register_measure

TZ = timezone.get_fixed_timezone(480)


def test_the_measure_asks_the_activities_figure_for_each_emergency_kind():
    real = get_measure("activities.person_times")
    seen = []

    def fake(filters):
        seen.append(filters)
        return {"drill": Decimal(120), "emergency_training": Decimal(30)}.get(filters.get("kind"), Decimal(999))

    register_measure("activities.person_times", "fake", "人次", fake, filters={"place", "year", "kind", "theme"})
    try:
        value = compute_measure("emergency.person_times_trained", {"place": "110115", "year": 2026})
    finally:
        put_measure(real)
    assert value == Decimal(150)
    assert {f["kind"] for f in seen} == {"drill", "emergency_training"}
    assert all(f["place"] == "110115" and f["year"] == 2026 for f in seen)
    assert get_measure("emergency.person_times_trained").honours("place", "year")


@pytest.mark.django_db
def test_only_people_checked_in_at_drills_and_training_count_never_sign_ups(world):
    from kepu.activities import services
    from kepu.activities.tests.factories import at_the_door, published_activity, residents

    start = datetime(2026, 5, 12, 9, 0, tzinfo=TZ)
    people = residents(world, 6)
    with clock.frozen_at(start - timedelta(days=20)):
        drill = published_activity(world.a.unit_staff, starts_at=start, kind="drill", title="社区防汛应急演练")
        training = published_activity(
            world.a.street_staff, starts_at=start + timedelta(days=1), kind="emergency_training", title="应急救护培训"
        )
        lecture = published_activity(world.a.unit_staff, starts_at=start, title="家庭急救讲座")
        signed = {}
        for activity, who in ((drill, people[:4]), (training, people[4:6]), (lecture, people[:3])):
            session = activity.sessions.get()
            signed[activity.pk] = (session, [services.registration_create(actor=p, session=session) for p in who])
    checked = {drill.pk: 2, training.pk: 1, lecture.pk: 3}
    managers = {drill.pk: world.a.unit_staff, training.pk: world.a.street_staff, lecture.pk: world.a.unit_staff}
    for activity in (drill, training, lecture):
        session, regs = signed[activity.pk]
        with at_the_door(session):
            for r in regs[: checked[activity.pk]]:
                services.check_in(actor=managers[activity.pk], activity=activity, registration=r)
    with clock.frozen_at(start + timedelta(days=30)):
        value = compute_measure("emergency.person_times_trained", {"place": "110115", "year": 2026})
        # Recounted from what happened: people checked in at the drill and the training, not the six who signed
        # up, nor the lecture's.
        assert value == Decimal(2 + 1)
        assert compute_measure("emergency.person_times_trained", {"place": "110102", "year": 2026}) == Decimal(0)
        assert compute_measure("emergency.person_times_trained", {"place": "110115", "year": 2025}) == Decimal(0)
