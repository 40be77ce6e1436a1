"""Background work: offers that ran out of time pass to the next in line."""

from django_tasks import task

from kepu.core.scheduler import every


@every(minutes=5)
@task()
def expire_offers() -> int:
    from kepu.activities.services import offers_expire

    return offers_expire()
