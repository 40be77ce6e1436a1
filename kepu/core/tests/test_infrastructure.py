import pytest
from django.core.management import call_command

from kepu.core.scheduler import enqueue_due


@pytest.mark.django_db
def test_seed_demo_is_deterministic_and_gives_a_login_per_role(capsys):
    from kepu.accounts.models import Membership, User
    from kepu.core.roles import Role

    call_command("seed_demo")
    out = capsys.readouterr().out
    for login in (
        "city.admin",
        "dx.office",
        "dx.street",
        "dx.community",
        "dx.health",
        "dx.team",
        "dx.base",
        "13800000001",
    ):
        assert login in out
    roles = set(Membership.objects.values_list("role", flat=True))
    assert roles == set(Role.values)
    names = list(User.objects.order_by("pk").values_list("name", flat=True)[:40])
    call_command("seed_demo")  # idempotent
    assert list(User.objects.order_by("pk").values_list("name", flat=True)[:40]) == names
    assert User.objects.filter(username="city.admin").count() == 1


@pytest.mark.django_db
def test_scheduler_enqueues_each_periodic_task_once_per_interval():
    from datetime import timedelta

    from django.utils import timezone

    from kepu.accounts.tasks import purge_expired_login_codes
    from kepu.core import scheduler

    assert any(p.task is purge_expired_login_codes for p in scheduler.periodic_tasks())
    now = timezone.now()
    first = enqueue_due(now)
    assert first
    # Before the shortest interval has passed (a minute) nothing is due again.
    assert enqueue_due(now + timedelta(seconds=30)) == []
    assert set(enqueue_due(now + timedelta(days=1))) == set(first)


@pytest.mark.django_db
def test_expired_login_codes_are_purged():
    from datetime import timedelta

    from django.utils import timezone

    from kepu.accounts.models import LoginCode
    from kepu.accounts.tasks import purge_expired_login_codes

    LoginCode.objects.create(phone_index="x", code_hash="y", expires_at=timezone.now() - timedelta(days=2))
    LoginCode.objects.create(phone_index="x", code_hash="z", expires_at=timezone.now() + timedelta(minutes=5))
    purge_expired_login_codes.enqueue()  # the immediate backend runs it now
    assert list(LoginCode.objects.values_list("code_hash", flat=True)) == ["z"]
