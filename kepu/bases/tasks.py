"""Background work: bases whose term has ended leave the list and close their bookings to new visits."""

from django_tasks import task

from kepu.core.scheduler import every


@every(hours=1)
@task()
def expire_terms() -> int:
    from kepu.bases.services import bases_expire

    return bases_expire()
