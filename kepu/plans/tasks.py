"""Background work of the plans app."""

from django_tasks import task

from kepu.core.scheduler import every


@every(hours=6)
@task()
def flag_overdue_tasks() -> int:
    """Flag tasks past their deadline and unfinished, and remind their units once."""
    from kepu.plans.services import flag_overdue

    return len(flag_overdue())
