"""The organizations pages: the list and one organization, for staff, within their scope."""

import pytest
from django.urls import reverse

from kepu.core.testing.web import login

pytestmark = pytest.mark.django_db


def test_an_office_lists_the_organizations_of_its_area(client, world):
    a, b = world.a, world.b
    login(client, a.admin)
    page = client.get(reverse("orgs:list"))
    html = page.content.decode()
    assert page.status_code == 200 and "<html" in html
    assert a.unit.name in html and a.committees[-1].name in html and a.school.name in html
    assert b.unit.name not in html and b.office.name not in html
    assert reverse("orgs:detail", args=[a.unit.pk]) in html


def test_search_and_kind_narrow_the_list_and_htmx_gets_only_the_results(client, world):
    a = world.a
    login(client, a.admin)
    html = client.get(reverse("orgs:list"), {"q": "卫健委"}).content.decode()
    assert a.unit.name in html and a.unit2.name not in html and a.team.name not in html
    fragment = client.get(reverse("orgs:list"), {"kind": "volunteer_org"}, HTTP_HX_REQUEST="true").content.decode()
    assert "<html" not in fragment and 'id="results"' in fragment
    assert a.team.name in fragment and a.unit.name not in fragment
    elsewhere = client.get(reverse("orgs:list"), {"q": world.b.unit.name}, HTTP_HX_REQUEST="true").content.decode()
    assert world.b.unit.name not in elsewhere and 'colspan="3"' in elsewhere  # the "nothing found" row


def test_one_organization_shows_its_facts_and_the_people_the_viewer_may_see(client, world):
    a = world.a
    login(client, a.admin)
    html = client.get(reverse("orgs:detail", args=[a.committees[0].pk])).content.decode()
    assert a.committees[0].name in html and a.communities[0].name in html
    assert a.community_staff.user.name in html and a.resident.user.name in html
    assert a.resident.user.phone not in html  # masked in lists
    assert a.resident.user.masked_phone in html
    login(client, a.unit_staff)
    own = client.get(reverse("orgs:detail", args=[a.unit.pk])).content.decode()
    assert a.unit.name in own and a.unit_staff.user.name in own


def test_another_districts_organization_is_not_found(client, world):
    a, b = world.a, world.b
    login(client, a.admin)
    assert client.get(reverse("orgs:detail", args=[b.unit.pk])).status_code == 404
    login(client, a.street_staff)
    assert client.get(reverse("orgs:detail", args=[a.committees[-1].pk])).status_code == 404  # the other street
    login(client, a.unit_staff)
    assert client.get(reverse("orgs:detail", args=[a.unit2.pk])).status_code == 404  # another unit


@pytest.mark.parametrize("who", ["resident", "expert"])
def test_people_acting_for_themselves_are_refused(client, world, who):
    login(client, getattr(world.a, who))
    assert client.get(reverse("orgs:list")).status_code == 403
    assert client.get(reverse("orgs:detail", args=[world.a.committees[0].pk])).status_code == 403


def test_anonymous_visitors_are_sent_to_sign_in(client, world):
    for url in (reverse("orgs:list"), reverse("orgs:detail", args=[world.a.unit.pk])):
        response = client.get(url)
        assert response.status_code == 302 and reverse("accounts:login") in response["Location"]


def test_the_admin_lists_only_the_organizations_of_the_area(client, world):
    a, b = world.a, world.b
    a.admin.user.is_staff = True
    a.admin.user.save(update_fields=["is_staff"])
    login(client, a.admin)
    html = client.get("/admin/orgs/organization/").content.decode()
    assert a.unit.name in html and b.unit.name not in html
    assert client.get(f"/admin/orgs/organization/{a.unit.pk}/change/").status_code == 200
    elsewhere = client.get(f"/admin/orgs/organization/{b.unit.pk}/change/")
    assert elsewhere.status_code == 302 and elsewhere["Location"] == "/admin/"  # "does not exist"
