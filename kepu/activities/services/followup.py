"""After the activity: the satisfaction survey, the report and its photos."""

from __future__ import annotations

from datetime import datetime

from django.db import transaction
from django.utils.translation import gettext as _

from kepu.activities.models import Activity, ActivityPhoto, ActivityReport, Registration, Session, SurveyResponse
from kepu.activities.permissions import ActivityAction, RegistrationAction
from kepu.activities.services._common import _CONTROL, _lock_session, _tally
from kepu.core import clock
from kepu.core.actor import Actor
from kepu.core.audit import log_action
from kepu.core.errors import Conflict, DomainError, NotAllowed
from kepu.core.permissions import require


# --- After the activity -----------------------------------------------------------------------------
def _invite_to_survey(registrations) -> None:
    """Ask attendees (with an inbox of their own) how it was: after the session, on their ticket."""
    from django.urls import reverse

    from kepu.notifications.services import notify

    for registration in registrations:
        if registration.user_id is None:
            continue  # a group or a person registered by staff has no inbox of their own
        notify(
            [registration.user],
            kind="kepu.activities.survey",
            title=_("How was %(title)s?") % {"title": registration.session.activity.title},
            body=_("Thank you for coming. Tell the organizer how it went: one question on your ticket."),
            url=reverse("activities:ticket", args=[registration.pk]),
        )


def survey_invitations_send(*, now: datetime | None = None, limit: int = 500) -> int:
    """Invite the attendees of every session that has ended to its satisfaction survey (once per session).

    The survey goes after the session ends, never at check-in: a rating of something that has not
    happened yet would count. Returns how many sessions were done.
    """
    now = now or clock.now()
    done = 0
    for pk in (
        Session.objects.filter(surveys_sent_at__isnull=True, ends_at__lte=now)
        .order_by("ends_at")
        .values_list("pk", flat=True)[:limit]
    ):
        with transaction.atomic():
            session = _lock_session(pk)
            if session.surveys_sent_at is not None:
                continue
            session.surveys_sent_at = now
            session.save(update_fields=["surveys_sent_at"])
            attendees = list(
                session.registrations.filter(checked_in_at__isnull=False, user__isnull=False).select_related(
                    "user", "session__activity"
                )
            )
            transaction.on_commit(lambda attendees=attendees: _invite_to_survey(attendees))
        done += 1
    return done


def survey_open(registration: Registration, now: datetime | None = None) -> bool:
    """The survey of a checked-in attendee opens when their session has ended."""
    return registration.checked_in_at is not None and (now or clock.now()) >= registration.session.ends_at


@transaction.atomic
def survey_submit(*, actor: Actor, registration: Registration, score: int, comment: str = "") -> SurveyResponse:
    """A checked-in attendee rates the activity once, after the session has ended."""
    _lock_session(registration.session_id)
    registration = Registration.objects.select_for_update().select_related("session").get(pk=registration.pk)
    require(actor, RegistrationAction.SURVEY, registration)
    if registration.checked_in_at is None:
        raise NotAllowed(_("Only people who attended can answer the survey."), code="not_attended")
    if not survey_open(registration):
        raise Conflict(_("The survey opens when the session has ended."), code="survey_not_yet")
    if not 1 <= int(score) <= 5:
        raise DomainError(_("Choose a rating from 1 to 5."), code="score_invalid")
    if SurveyResponse.objects.filter(registration=registration).exists():
        raise Conflict(_("You have already answered this survey."), code="survey_done")
    response = SurveyResponse.objects.create(registration=registration, score=int(score), comment=comment[:500])
    _tally(registration.session_id, survey=int(score))
    log_action(actor, "kepu.activities.survey_answered", registration, data={"score": int(score)})
    return response


@transaction.atomic
def report_save(*, actor: Actor, activity: Activity, notes: str) -> ActivityReport:
    require(actor, ActivityAction.REPORT, activity)
    report, _created = ActivityReport.objects.update_or_create(activity=activity, defaults={"notes": notes[:10000]})
    log_action(actor, "kepu.activities.report_saved", activity)
    return report


@transaction.atomic
def photo_add(*, actor: Actor, activity: Activity, file, caption: str = "") -> ActivityPhoto:
    from kepu.core.uploads import check_image

    require(actor, ActivityAction.REPORT, activity)
    checked = check_image(file, code="photo_invalid")
    file.name = checked.stored_name()
    photo = ActivityPhoto(activity=activity, file=file, caption=caption.translate(_CONTROL)[:120])
    photo.save()
    log_action(actor, "kepu.activities.photo_added", activity)
    return photo
