"""Attendance by population comes from the attendee's profile, and a past session's figures never move."""

import json
from datetime import date

import pytest
from django.urls import reverse

from kepu.accounts.services import person_set_key_population
from kepu.activities import selectors, services
from kepu.activities.models import Registration
from kepu.activities.tests.factories import at_the_door, published_activity
from kepu.core.testing.web import login

pytestmark = pytest.mark.django_db


def _figures(actor, activity):
    return selectors.figures(
        actor=actor, date_from=date(2000, 1, 1), date_to=date(2100, 1, 1), activity_id=activity.pk
    ).by_population


def test_sign_up_takes_the_profile_population_and_keeps_its_copy(world):
    staff, me = world.a.unit_staff, world.a.resident
    person_set_key_population(actor=me, person=me.user, key_population="elderly")
    activity = published_activity(staff)
    reg = services.registration_create(actor=me, session=activity.sessions.get())
    assert reg.population == "elderly"
    with at_the_door(reg.session):
        services.check_in(actor=staff, activity=activity, registration=reg)
    person_set_key_population(actor=me, person=me.user, key_population="workers")
    assert Registration.objects.get(pk=reg.pk).population == "elderly"
    assert _figures(staff, activity)["elderly"] == 1 and _figures(staff, activity)["workers"] == 0


def test_without_a_profile_population_it_counts_as_other_and_a_choice_wins(world):
    staff = world.a.unit_staff
    activity = published_activity(staff, sessions=2)
    first, second = activity.sessions.order_by("starts_at")
    assert services.registration_create(actor=world.a.resident, session=first).population == "other"
    person_set_key_population(actor=world.b.resident, person=world.b.resident.user, key_population="elderly")
    chosen = services.registration_create(actor=world.b.resident, session=second, population="youth")
    assert chosen.population == "youth"
    # A group registered by staff takes the staff's choice, never the staff member's own profile.
    person_set_key_population(actor=staff, person=staff.user, key_population="officials")
    group = services.registration_create(actor=staff, session=second, on_behalf=True, name="三年级二班", head_count=3)
    assert group.population == "other"


def test_the_sign_up_form_is_preset_from_the_profile_and_the_api_defaults_to_it(client, world):
    me = world.a.resident
    activity = published_activity(world.a.unit_staff, sessions=2)
    first, second = activity.sessions.order_by("starts_at")
    login(client, me)
    page = client.get(reverse("activities:detail", args=[activity.pk])).content.decode()
    # Nothing chosen in advance: the first option is "Choose…", and the form requires a choice.
    choices = page.split('name="population"')[1].split("</select>")[0]
    assert (
        'data-testid="population-hint"' in page and choices.count(" selected") == 1 and 'value="" selected' in choices
    )
    client.post(reverse("activities:signup", args=[first.pk]), {})
    assert not Registration.objects.filter(session=first).exists()
    person_set_key_population(actor=me, person=me.user, key_population="farmers")
    page = client.get(reverse("activities:detail", args=[activity.pk])).content.decode()
    assert 'value="farmers" selected' in page and 'value="other" selected' not in page
    assert 'data-testid="population-hint"' not in page and "已按您的个人资料选好" in page  # shown as such
    client.post(reverse("activities:signup", args=[first.pk]), {"population": "farmers"})
    assert Registration.objects.get(session=first).population == "farmers"
    got = client.post(
        f"/api/v1/activities/sessions/{second.pk}/registrations", json.dumps({}), content_type="application/json"
    )
    assert got.status_code == 201 and got.json()["population"] == "farmers"


def test_a_community_worker_registers_a_resident_by_phone_and_the_profile_counts(
    client, world, django_capture_on_commit_callbacks
):
    from kepu.notifications.models import Notification

    worker, resident = world.a.community_staff, world.a.resident
    person_set_key_population(actor=worker, person=resident.user, key_population="elderly")
    activity = published_activity(world.a.unit_staff, sessions=2)
    first, second = activity.sessions.order_by("starts_at")
    login(client, worker)
    with django_capture_on_commit_callbacks(execute=True):
        client.post(
            reverse("activities:group_signup", args=[first.pk]),
            {"phone": resident.user.phone, "head_count": 1, "population": ""},
        )
    reg = Registration.objects.get(session=first)
    told = Notification.objects.get(kind="kepu.activities.registered_for_you")
    assert told.recipient == resident.user and told.url == reverse("activities:ticket", args=[reg.pk])
    assert (reg.user, reg.registered_by, reg.population, reg.name) == (
        resident.user,
        worker.user,
        "elderly",
        resident.user.name,
    )
    # The resident sees it among their own sign-ups, with the ticket.
    login(client, resident)
    assert reverse("activities:ticket", args=[reg.pk]) in client.get(reverse("activities:mine")).content.decode()

    # A number outside the worker's area finds nobody, and nothing is registered.
    login(client, worker)
    response = client.post(
        reverse("activities:group_signup", args=[second.pk]),
        {"phone": world.b.resident.user.phone, "head_count": 1},
        follow=True,
    )
    assert "您所在区域没有使用该手机号码注册的人" in response.content.decode()
    got = client.post(
        f"/api/v1/activities/sessions/{second.pk}/registrations",
        json.dumps({"on_behalf": True, "phone": world.b.resident.user.phone}),
        content_type="application/json",
    )
    assert got.status_code == 404
    assert not Registration.objects.filter(session=second).exists()
    got = client.post(
        f"/api/v1/activities/sessions/{second.pk}/registrations",
        json.dumps({"on_behalf": True, "phone": resident.user.phone}),
        content_type="application/json",
    )
    assert got.status_code == 201 and got.json()["population"] == "elderly"
