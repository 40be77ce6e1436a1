import pytest
from django.urls import reverse

from kepu.accounts.tests.factories import all_roles
from kepu.core.roles import Role


@pytest.mark.django_db
def test_each_role_lands_on_its_home_and_cannot_open_another_roles_home(client, world):
    roles = {**all_roles(world.a), Role.CITY_ADMIN: world.city_admin}
    for role, actor in roles.items():
        client.force_login(actor.user)
        response = client.get(reverse("core:home"), follow=True)
        assert response.redirect_chain[-1][0] == reverse("core:role_home", args=[role])
        assert actor.membership.organization.name in response.content.decode()
        for other in roles:
            if other != role:
                assert client.get(reverse("core:role_home", args=[other])).status_code == 403
        client.logout()


@pytest.mark.django_db
def test_office_pages_are_refused_to_other_roles(client, world):
    client.force_login(world.a.resident.user)
    assert client.get(reverse("core:audit")).status_code == 403
    assert client.get(reverse("accounts:people")).status_code == 403
    assert client.get(reverse("orgs:list")).status_code == 403
    client.force_login(world.a.unit_staff.user)
    assert client.get(reverse("core:audit")).status_code == 403
    client.force_login(world.a.admin.user)
    assert client.get(reverse("core:audit")).status_code == 200


def test_anonymous_visitors_are_sent_to_sign_in(client, db):
    response = client.get(reverse("accounts:people"))
    assert response.status_code == 302 and reverse("accounts:login") in response.url


@pytest.mark.django_db
def test_elder_mode_persists_for_visitors_and_for_signed_in_users(client, world):
    assert 'class="elder ' not in client.get("/").content.decode()
    client.post(reverse("core:elder"), {"on": "1", "next": "/places/"})
    assert 'class="elder ' in client.get("/").content.decode()
    assert 'class="elder ' in client.get("/places/").content.decode()
    client.force_login(world.a.resident.user)
    client.post(reverse("core:elder"), {"on": "1"})
    world.a.resident.user.refresh_from_db()
    assert world.a.resident.user.elder_mode is True
    client.cookies.clear()
    client.force_login(world.a.resident.user)
    assert 'class="elder ' in client.get(reverse("accounts:profile")).content.decode()


@pytest.mark.django_db
def test_unsafe_next_is_ignored(client, db):
    response = client.post(reverse("core:elder"), {"on": "1", "next": "https://evil.example/"})
    assert response.url == "/"


@pytest.mark.django_db
def test_language_switch(client, db):
    assert "长辈版" in client.get("/").content.decode()
    client.post("/i18n/setlang/", {"language": "en", "next": "/"})
    page = client.get("/").content.decode()
    assert "Elder mode" in page and 'lang="en"' in page
    client.post("/i18n/setlang/", {"language": "zh-hans", "next": "/"})
    assert "长辈版" in client.get("/").content.decode()


@pytest.mark.django_db
def test_health(client):
    assert client.get("/healthz").json()["ok"] is True
