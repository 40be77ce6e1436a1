import re

import pytest
from django.conf import settings as django_settings
from django.urls import reverse

from kepu.accounts.models import Membership, User
from kepu.accounts.tests.factories import PASSWORD
from kepu.core.messaging import LocmemSmsBackend
from kepu.core.roles import Role


def last_code():
    return re.search(r"\d{6}", LocmemSmsBackend.outbox[-1].text).group(0)


def test_production_hashes_passwords_with_argon2():
    from kepu import settings as prod

    assert prod.PASSWORD_HASHERS[0].endswith("Argon2PasswordHasher")
    assert django_settings.AUTH_USER_MODEL == "accounts.User"


@pytest.mark.django_db
def test_a_new_resident_registers_with_phone_and_code_and_picks_a_community(client, world):
    response = client.post(reverse("accounts:phone_login"), {"phone": "138 0013 8000", "agree": "on"})
    assert response.status_code == 200
    assert LocmemSmsBackend.outbox[-1].to == "13800138000"
    response = client.post(
        reverse("accounts:phone_login"), {"phone": "13800138000", "code": last_code(), "agree": "True"}
    )
    assert response.status_code == 302 and response["Location"] == reverse("accounts:welcome")
    community = world.a.communities[1]
    response = client.post(reverse("accounts:welcome"), {"name": "赵阿姨", "community": community.code})
    assert response.status_code == 302
    user = User.objects.get(name="赵阿姨")
    assert user.phone == "13800138000" and user.home_place == community
    membership = Membership.objects.get(user=user)
    assert membership.role == Role.RESIDENT and membership.organization == world.a.committees[1]
    home = client.get(reverse("core:home"), follow=True)
    assert home.redirect_chain[-1][0] == reverse("core:role_home", args=[Role.RESIDENT])


@pytest.mark.django_db
def test_a_wrong_code_does_not_sign_in_and_five_failures_lock_the_number(client, world):
    client.post(reverse("accounts:phone_login"), {"phone": "13800138001", "agree": "on"})
    for _ in range(4):
        response = client.post(reverse("accounts:phone_login"), {"phone": "13800138001", "code": "000000"})
        assert response.status_code == 200
        assert "_auth_user_id" not in client.session
    response = client.post(reverse("accounts:phone_login"), {"phone": "13800138001", "code": "000000"})
    assert response.status_code == 429
    # Even the right code is refused while the number is locked.
    response = client.post(reverse("accounts:phone_login"), {"phone": "13800138001", "code": last_code()})
    assert response.status_code == 429 and "_auth_user_id" not in client.session


@pytest.mark.django_db
def test_a_code_cannot_be_asked_for_twice_in_a_minute_and_its_box_stays(client, db):
    client.post(reverse("accounts:phone_login"), {"phone": "13800138002", "agree": "on"})
    response = client.post(reverse("accounts:phone_login"), {"phone": "13800138002", "agree": "on"})
    assert len(LocmemSmsBackend.outbox) == 1
    page = response.content.decode()
    assert "一分钟" in page
    # The code already received can still be entered, and the resend button counts down.
    assert 'name="code"' in page
    wait = int(re.search(r'data-countdown="(\d+)"', page).group(1))
    assert 50 <= wait <= 60


@pytest.mark.django_db
def test_nobody_is_registered_without_agreeing_and_consent_is_recorded_with_its_version(client, db, settings):
    from kepu.accounts.models import Consent

    response = client.post(reverse("accounts:phone_login"), {"phone": "13800138003"})
    assert not LocmemSmsBackend.outbox and "请先阅读并勾选同意" in response.content.decode()
    client.post(reverse("accounts:phone_login"), {"phone": "13800138003", "agree": "on"})
    people = User.objects.count()
    # A code posted without the agreement (a crafted form) registers nobody.
    client.post(reverse("accounts:phone_login"), {"phone": "13800138003", "code": last_code()})
    assert User.objects.count() == people and "_auth_user_id" not in client.session
    client.post(reverse("accounts:phone_login"), {"phone": "13800138003", "code": last_code(), "agree": "True"})
    user = User.objects.get(pk=client.session["_auth_user_id"])
    consent = Consent.objects.get(user=user)
    assert consent.kind == "terms" and consent.version == settings.KEPU_POLICY_VERSION and consent.given_at


@pytest.mark.django_db
def test_next_is_kept_through_both_steps_and_a_newcomer_goes_straight_there(client, db):
    target = reverse("orders:create")
    response = client.get(target)
    assert response.status_code == 302 and response["Location"].startswith(reverse("accounts:phone_login"))
    login_page = client.get(response["Location"]).content.decode()
    assert f'name="next" value="{target}"' in login_page
    step2 = client.post(reverse("accounts:phone_login"), {"phone": "13800138004", "agree": "on", "next": target})
    assert f'name="next" value="{target}"' in step2.content.decode()
    done = client.post(
        reverse("accounts:phone_login"),
        {"phone": "13800138004", "code": last_code(), "agree": "True", "next": target},
    )
    assert done.status_code == 302 and done["Location"] == target
    assert client.get(target).status_code == 200  # a newcomer may order at once


@pytest.mark.django_db
def test_the_staff_sign_in_sends_residents_to_the_phone_sign_in_with_next(client, db):
    page = client.get(reverse("accounts:login") + "?next=/orders/").content.decode()
    assert reverse("accounts:phone_login") + "?next=/orders/" in page.replace("%2F", "/")


@pytest.mark.django_db
def test_staff_sign_in_with_password_and_lockout(client, world):
    user = world.a.admin.user
    response = client.post(reverse("accounts:login"), {"username": user.username, "password": PASSWORD})
    assert response.status_code == 302
    client.post(reverse("accounts:logout"))
    for _ in range(5):
        client.post(reverse("accounts:login"), {"username": user.username, "password": "wrong-password"})
    response = client.post(reverse("accounts:login"), {"username": user.username, "password": PASSWORD})
    assert response.status_code == 429
    assert "_auth_user_id" not in client.session


@pytest.mark.django_db
def test_a_person_with_two_roles_switches_between_them(client, world):
    from kepu.accounts.tests.factories import MembershipFactory

    user = world.a.street_staff.user
    second = MembershipFactory(user=user, organization=world.a.committees[0], role=Role.COMMUNITY_STAFF)
    client.force_login(user)
    assert client.get(reverse("core:home")).url == reverse("core:role_home", args=[Role.STREET_STAFF])
    response = client.post(reverse("accounts:switch_role"), {"membership": second.pk})
    assert response.url == reverse("core:role_home", args=[Role.COMMUNITY_STAFF])
    assert client.get(reverse("core:home")).url == reverse("core:role_home", args=[Role.COMMUNITY_STAFF])
    # Someone else's membership cannot be taken over.
    client.post(reverse("accounts:switch_role"), {"membership": world.a.admin.membership.pk})
    assert client.get(reverse("core:home")).url == reverse("core:role_home", args=[Role.COMMUNITY_STAFF])
