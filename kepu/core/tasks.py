"""Housekeeping tasks, run by the worker and scheduled by ``run_scheduler``."""

from datetime import timedelta

from django.utils import timezone
from django_tasks import task

from kepu.core.scheduler import every


@every(hours=1)
@task()
def purge_expired_login_codes() -> int:
    """One-time codes are useless a day after they expire; keep the table small."""
    from kepu.accounts.models import LoginCode

    deleted, _ = LoginCode.objects.filter(expires_at__lt=timezone.now() - timedelta(days=1)).delete()
    return deleted
