import pytest

from kepu.core.scheduler import enqueue_due


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
