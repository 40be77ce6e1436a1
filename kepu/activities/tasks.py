"""Background work: offers that ran out of time pass on; the calendar moves past ended sessions; the
attendees of ended sessions are asked how it was."""

from django_tasks import task

from kepu.core.scheduler import every


@every(minutes=5)
@task()
def expire_offers() -> int:
    from kepu.activities.services import offers_expire

    return offers_expire()


@every(minutes=30)
@task()
def advance_next_sessions() -> int:
    from kepu.activities.services import next_sessions_advance

    return next_sessions_advance()


@every(minutes=10)
@task()
def send_survey_invitations() -> int:
    from kepu.activities.services import survey_invitations_send

    return survey_invitations_send()
