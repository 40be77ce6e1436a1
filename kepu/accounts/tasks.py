"""People's housekeeping, run by the worker and scheduled by ``run_scheduler``."""

from datetime import timedelta

from django.utils import timezone
from django_tasks import task

from kepu.accounts.models import LoginCode
from kepu.core.scheduler import every


@every(hours=1)
@task()
def purge_expired_login_codes() -> int:
    """One-time codes are useless a day after they expire; keep the table small."""
    deleted, _ = LoginCode.objects.filter(expires_at__lt=timezone.now() - timedelta(days=1)).delete()
    return deleted
