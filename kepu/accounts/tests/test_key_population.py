"""The key population (重点人群) on a person's profile: who may set it, how other apps default to it."""

import json

import pytest
from django.urls import reverse

from kepu.accounts import services
from kepu.accounts.models import User
from kepu.accounts.selectors import key_population_of
from kepu.core.errors import DomainError, NotAllowed
from kepu.core.models import AuditEntry
from kepu.core.populations import Population
from kepu.core.testing.web import login

pytestmark = pytest.mark.django_db


def test_a_person_sets_their_own_and_it_is_audited(world):
    me = world.a.resident
    services.person_set_key_population(actor=me, person=me.user, key_population=Population.ELDERLY)
    assert key_population_of(me.user) == "elderly"
    entry = AuditEntry.objects.filter(action="kepu.accounts.person.key_population_changed").get()
    assert entry.data == {"from": "", "to": "elderly"}
    # Saying the same again writes nothing new.
    services.person_set_key_population(actor=me, person=me.user, key_population=Population.ELDERLY)
    assert AuditEntry.objects.filter(action="kepu.accounts.person.key_population_changed").count() == 1


def test_a_bad_value_is_refused_and_changes_nothing(world):
    me = world.a.resident
    with pytest.raises(DomainError) as exc:
        services.person_set_key_population(actor=me, person=me.user, key_population="aliens")
    assert exc.value.code == "population_invalid"
    assert User.objects.get(pk=me.user.pk).key_population == ""


def test_the_community_of_the_person_may_set_it_other_districts_and_roles_may_not(world):
    resident = world.a.resident.user
    services.person_set_key_population(
        actor=world.a.community_staff, person=resident, key_population=Population.FARMERS
    )
    assert key_population_of(resident) == "farmers"
    for stranger in (world.b.community_staff, world.b.admin, world.a.unit_staff, world.b.resident):
        with pytest.raises(NotAllowed):
            services.person_set_key_population(actor=stranger, person=resident, key_population="youth")
    assert key_population_of(resident) == "farmers"


def test_profile_page_saves_with_htmx_and_without(client, world):
    me = world.a.resident
    login(client, me)
    page = client.get(reverse("accounts:profile")).content.decode()
    assert 'data-testid="population-form"' in page and "老年人" in page
    fragment = client.post(
        reverse("accounts:profile_population"), {"key_population": "elderly"}, HTTP_HX_REQUEST="true"
    )
    assert fragment.status_code == 200 and "<html" not in fragment.content.decode()
    assert 'value="elderly" selected' in fragment.content.decode() and "已保存" in fragment.content.decode()
    assert key_population_of(me.user) == "elderly"
    plain = client.post(reverse("accounts:profile_population"), {"key_population": "youth"})
    assert plain.status_code == 302 and key_population_of(me.user) == "youth"
    bad = client.post(reverse("accounts:profile_population"), {"key_population": "aliens"}, HTTP_HX_REQUEST="true")
    assert bad.status_code == 400 and key_population_of(me.user) == "youth"
    assert 'role="alert"' in bad.content.decode()


def test_staff_set_it_on_the_person_page_and_other_districts_are_refused(client, world):
    resident = world.a.resident.user
    login(client, world.a.community_staff)
    page = client.get(reverse("accounts:person", args=[resident.pk])).content.decode()
    assert reverse("accounts:person_population", args=[resident.pk]) in page
    client.post(reverse("accounts:person_population", args=[resident.pk]), {"key_population": "elderly"})
    assert key_population_of(resident) == "elderly"

    login(client, world.b.community_staff)
    refused = client.post(reverse("accounts:person_population", args=[resident.pk]), {"key_population": "youth"})
    assert refused.status_code == 404
    login(client, world.a.unit_staff)  # sees people of its own unit only
    assert (
        client.post(reverse("accounts:person_population", args=[resident.pk]), {"key_population": "youth"}).status_code
        == 404
    )
    assert key_population_of(resident) == "elderly"


def test_the_api_sets_ones_own_and_an_area_office_sets_others(client, world):
    me = world.a.resident
    login(client, me)
    got = client.patch("/api/v1/people/me", json.dumps({"key_population": "workers"}), content_type="application/json")
    assert got.status_code == 200 and got.json()["key_population"] == "workers"
    bad = client.patch("/api/v1/people/me", json.dumps({"key_population": "x"}), content_type="application/json")
    assert bad.status_code == 400 and key_population_of(me.user) == "workers"
    other = client.patch(
        f"/api/v1/people/{world.b.resident.user.pk}",
        json.dumps({"key_population": "youth"}),
        content_type="application/json",
    )
    assert other.status_code == 404 and key_population_of(world.b.resident.user) == ""

    login(client, world.a.street_staff)
    got = client.patch(
        f"/api/v1/people/{me.user.pk}", json.dumps({"key_population": "elderly"}), content_type="application/json"
    )
    assert got.status_code == 200 and got.json()["key_population"] == "elderly"
    login(client, world.b.admin)
    assert (
        client.patch(
            f"/api/v1/people/{me.user.pk}", json.dumps({"key_population": "youth"}), content_type="application/json"
        ).status_code
        == 404
    )
    assert key_population_of(me.user) == "elderly"


def test_a_new_resident_may_say_it_when_registering(client, world):
    newcomer = User.objects.create(username="new1", phone="13700000001")
    client.force_login(newcomer)
    page = client.get(reverse("accounts:welcome")).content.decode()
    assert 'name="key_population"' in page and "都不是" in page
    response = client.post(
        reverse("accounts:welcome"),
        {"name": "王大爷", "community": world.a.communities[0].code, "key_population": "elderly"},
    )
    assert response.status_code == 302
    assert key_population_of(newcomer) == "elderly"
