"""Background work for orders: the deadline watch."""

from django_tasks import task

from kepu.core.scheduler import every


@every(minutes=30)
@task()
def escalate_overdue_orders() -> int:
    """Mark late orders overdue and escalate them one level up (community → street → district)."""
    from kepu.orders.services import escalate_overdue

    return escalate_overdue()


@every(hours=1)
@task()
def close_unrated_orders() -> list[int]:
    """Remind residents to rate delivered orders; close those not rated within the district's window."""
    from kepu.orders.services import close_unrated

    return list(close_unrated())
