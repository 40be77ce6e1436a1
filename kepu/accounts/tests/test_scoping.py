"""Permission scoping for every role, on the web and the API."""

import pytest
from django.urls import reverse

from kepu.accounts.selectors import person_list
from kepu.accounts.services import api_token_create
from kepu.accounts.tests.factories import all_roles
from kepu.core.roles import Role
from kepu.orgs.selectors import organization_list


def names(qs):
    return {o.name for o in qs}


@pytest.mark.django_db
def test_organizations_each_role_sees(world):
    a, b = world.a, world.b
    district = names(organization_list(actor=a.admin))
    assert a.unit.name in district and a.committees[-1].name in district
    assert not district & names([b.office, b.unit, b.team, *b.committees])
    street = names(organization_list(actor=a.street_staff))
    assert street == {a.street_office.name, a.school.name, *(c.name for c in a.committees[:2])}
    assert names(organization_list(actor=a.community_staff)) == {a.committees[0].name}
    assert names(organization_list(actor=a.unit_staff)) == {a.unit.name}
    assert names(organization_list(actor=a.team_staff)) == {a.team.name}
    assert names(organization_list(actor=a.resident)) == {a.committees[0].name}
    assert len(organization_list(actor=world.city_admin)) >= 2 * len(district)


@pytest.mark.django_db
def test_people_each_role_sees(world):
    a, b = world.a, world.b
    seen = {p.pk for p in person_list(actor=a.admin)}
    assert {actor.user.pk for actor in all_roles(a).values()} <= seen
    assert not seen & {actor.user.pk for actor in all_roles(b).values()}
    street = {p.pk for p in person_list(actor=a.street_staff)}
    assert a.resident.user.pk in street and a.neighbour.user.pk not in street  # the neighbour lives in street 2
    community = {p.pk for p in person_list(actor=a.community_staff)}
    assert a.resident.user.pk in community and a.street_staff.user.pk not in community
    assert {p.pk for p in person_list(actor=a.unit_staff)} == {a.unit_staff.user.pk}
    assert {p.pk for p in person_list(actor=a.resident)} == {a.resident.user.pk}
    assert {p.pk for p in person_list(actor=a.expert)} == {a.expert.user.pk}
    city = {p.pk for p in person_list(actor=world.city_admin)}
    assert seen | {p.pk for p in person_list(actor=b.admin)} <= city


@pytest.mark.django_db
@pytest.mark.parametrize(
    "role",
    [
        Role.DISTRICT_ADMIN,
        Role.STREET_STAFF,
        Role.COMMUNITY_STAFF,
        Role.UNIT_STAFF,
        Role.VOLUNTEER_ORG_STAFF,
        Role.BASE_STAFF,
        Role.ORG_STAFF,
    ],
)
def test_web_pages_of_one_district_show_nothing_of_the_other(client, world, role):
    actor = all_roles(world.a)[role]
    client.force_login(actor.user)
    people = client.get(reverse("accounts:people")).content.decode()
    orgs = client.get(reverse("orgs:list")).content.decode()
    for other in all_roles(world.b).values():
        assert other.user.name not in people
    for org in (world.b.office, world.b.unit, world.b.team, *world.b.committees):
        assert org.name not in orgs
    assert client.get(reverse("accounts:person", args=[world.b.resident.user.pk])).status_code == 404
    assert client.get(reverse("orgs:detail", args=[world.b.unit.pk])).status_code == 404
    assert client.post(reverse("accounts:person_phone", args=[world.b.resident.user.pk])).status_code == 404


@pytest.mark.django_db
@pytest.mark.parametrize(
    "role",
    [
        Role.DISTRICT_ADMIN,
        Role.STREET_STAFF,
        Role.COMMUNITY_STAFF,
        Role.UNIT_STAFF,
        Role.VOLUNTEER_ORG_STAFF,
        Role.RESIDENT,
        Role.EXPERT,
    ],
)
def test_api_of_one_district_shows_nothing_of_the_other(client, world, role):
    actor = all_roles(world.a)[role]
    _token, key = api_token_create(actor=actor, name="test")
    auth = {"HTTP_AUTHORIZATION": f"Bearer {key}"}
    people = client.get("/api/v1/people/?page_size=500", **auth).json()
    orgs = client.get("/api/v1/orgs/", **auth).json()
    assert {p["id"] for p in people["items"]}.isdisjoint({x.user.pk for x in all_roles(world.b).values()})
    assert {o["id"] for o in orgs["items"]}.isdisjoint({world.b.office.pk, world.b.unit.pk, world.b.team.pk})
    assert client.get(f"/api/v1/people/{world.b.resident.user.pk}", **auth).json()["code"] == "not_found"
    assert client.get(f"/api/v1/orgs/{world.b.unit.pk}", **auth).status_code == 404
    assert client.post(f"/api/v1/people/{world.b.resident.user.pk}/phone", **auth).status_code == 404
    audit = client.get("/api/v1/audit/", **auth).json()
    assert all("西城" not in e["object_repr"] for e in audit["items"])


@pytest.mark.django_db
def test_api_phones_are_masked_in_lists_and_full_views_are_audited(client, world):
    from kepu.core.models import AuditEntry

    _token, key = api_token_create(actor=world.a.admin, name="test")
    auth = {"HTTP_AUTHORIZATION": f"Bearer {key}"}
    items = client.get("/api/v1/people/", **auth).json()["items"]
    assert all("****" in p["phone"] for p in items if p["phone"])
    full = client.post(f"/api/v1/people/{world.a.resident.user.pk}/phone", **auth).json()
    assert full["phone"] == world.a.resident.user.phone
    assert AuditEntry.objects.filter(
        action="kepu.accounts.person.pii_viewed", object_id=str(world.a.resident.user.pk)
    ).exists()
    _token, unit_key = api_token_create(actor=world.a.unit_staff, name="test")
    refused = client.post(f"/api/v1/people/{world.a.resident.user.pk}/phone", HTTP_AUTHORIZATION=f"Bearer {unit_key}")
    assert refused.status_code == 404


@pytest.mark.django_db
def test_admin_goes_through_the_same_policy(client, world):
    from kepu.accounts.models import User

    User.objects.filter(pk=world.a.admin.user.pk).update(is_staff=True)
    client.force_login(world.a.admin.user)
    page = client.get("/admin/orgs/organization/").content.decode()
    assert world.a.unit.name in page and world.b.unit.name not in page
    assert client.get(f"/admin/orgs/organization/{world.b.unit.pk}/change/").status_code in (302, 403, 404)


@pytest.mark.django_db
def test_the_cheap_count_agrees_with_the_list_for_every_role(world):
    from kepu.accounts.selectors import person_count

    actors = [*all_roles(world.a).values(), *all_roles(world.b).values(), world.city_admin]
    for actor in actors:
        for filters in ({}, {"role": Role.RESIDENT}, {"q": "测试"}, {"organization_id": world.a.committees[0].pk}):
            assert person_count(actor=actor, **filters) == person_list(actor=actor, **filters).count(), (actor, filters)
