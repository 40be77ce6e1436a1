"""Background work: the fan-out of pushes, and restarting fan-outs whose worker went away."""

from datetime import timedelta

from django_tasks import task

from kepu.core.scheduler import every


@task()
def push_fan_out(push_id: int) -> int:
    from kepu.resources.services import push_run

    return push_run(push_id).sent


@every(minutes=5)
@task()
def restart_stalled_pushes() -> int:
    """A push still sending whose last batch is older than ten minutes lost its worker: go on at its cursor."""
    from django.db.models import Q

    from kepu.core import clock
    from kepu.resources.models import Push, PushStatus

    stale = clock.now() - timedelta(minutes=10)
    ids = list(
        Push.objects.filter(status__in=[PushStatus.QUEUED, PushStatus.RUNNING])
        .filter(Q(beat_at__lt=stale) | Q(beat_at__isnull=True, created_at__lt=stale))
        .values_list("pk", flat=True)[:50]
    )
    for pk in ids:
        push_fan_out.enqueue(pk)
    return len(ids)
