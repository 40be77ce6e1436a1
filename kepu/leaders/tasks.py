"""Background work: each district's monthly report, written on the first working day of the month."""

from django_tasks import task

from kepu.core.scheduler import every


@every(hours=1)
@task()
def monthly_reports() -> int:
    """Hourly, so a worker down at midnight still writes the reports that day; a report is written once a month."""
    from kepu.leaders.services import reports_due

    return len(reports_due())
