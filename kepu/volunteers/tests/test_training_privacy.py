"""Who attended a training is personal data: the course page shows names only to those who run it."""

import pytest
from django.urls import reverse
from django.utils import timezone

from kepu.core.testing.web import login
from kepu.volunteers import services
from kepu.volunteers.tests.factories import member_volunteer

pytestmark = pytest.mark.django_db


def test_attendees_are_named_only_to_the_organizer(client, world):
    staff = world.a.team_staff
    training = services.training_create(actor=staff, title="应急救护培训", hours=4)
    session = services.training_session_create(actor=staff, training=training, starts_at=timezone.now())
    _actor, volunteer = member_volunteer(world.a.team, staff, real_name="张晓红")
    services.training_attendance_record(actor=staff, session=session, volunteer=volunteer)
    url = reverse("volunteers:training", args=[training.pk])

    login(client, staff)
    assert "张晓红" in client.get(url).content.decode()
    for stranger in (world.a.resident, world.b.team_staff):
        login(client, stranger)
        page = client.get(url).content.decode()
        assert "张晓红" not in page and volunteer.trainings.get().certificate_no not in page
        assert "1" in page and "应急救护培训" in page  # the course and how many attended are not secret
