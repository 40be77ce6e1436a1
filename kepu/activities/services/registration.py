"""Sign-up: places, the waiting list and its offers, decisions and cancellations."""

from __future__ import annotations

from datetime import datetime, timedelta

from django.db import IntegrityError, transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from kepu.accounts.selectors import key_population_of
from kepu.activities.models import ACTIVE, HOLDING, ActivityStatus, Registration, Session
from kepu.activities.permissions import ActivityAction, RegistrationAction
from kepu.activities.services._common import (
    AlreadyRegistered,
    OfferExpired,
    R,
    RegistrationClosed,
    _lock_session,
    _tally,
)
from kepu.activities.workflow import REGISTRATION
from kepu.core import clock
from kepu.core.actor import SYSTEM, Actor
from kepu.core.audit import log_action
from kepu.core.errors import Conflict, DomainError, NotAllowed
from kepu.core.permissions import require
from kepu.core.populations import Population


def _check_open(session: Session, now: datetime) -> None:
    activity = session.activity
    if activity.status != ActivityStatus.PUBLISHED or session.is_cancelled:
        raise RegistrationClosed(_("This activity is not open for sign-up."))
    if activity.registration_opens_at and now < activity.registration_opens_at:
        raise RegistrationClosed(_("Sign-up has not opened yet."))
    closes = activity.registration_closes_at or session.starts_at
    if now >= closes or now >= session.starts_at:
        raise RegistrationClosed(_("Sign-up for this session has closed."))


def _someone_waiting(session: Session) -> bool:
    return session.registrations.filter(status=R.WAITING).exists()


def _place_for(session: Session, registration: Registration) -> str:
    """Take a place when one is free and nobody is ahead in the queue (→ confirmed), else queue (→ waiting).

    Returns the state the registration goes to; keeps the session's counters (the caller holds its lock).
    """
    if session.seats_left >= registration.head_count and not _someone_waiting(session):
        session.seats_taken += registration.head_count
        session.save(update_fields=["seats_taken"])
        return R.CONFIRMED
    registration.waiting_seq = session.next_waiting_seq
    session.next_waiting_seq += 1
    session.save(update_fields=["next_waiting_seq"])
    return R.WAITING


@transaction.atomic
def registration_create(
    *,
    actor: Actor,
    session: Session,
    population: str | None = None,
    head_count: int = 1,
    name: str = "",
    note: str = "",
    on_behalf: bool = False,
    attendee=None,
) -> Registration:
    """Sign up for a session: for oneself, or (staff) on behalf of someone or a group.

    Within capacity the place is confirmed (or pending when sign-ups need approval);
    otherwise the registration joins the waiting list at the end. Without a ``population``
    the attendee's own (from their profile) is used; the registration keeps its copy, so the
    figures of a past session do not move when a profile changes later. Staff registering a
    person who has an account pass them as ``attendee`` (found with
    ``kepu.accounts.selectors.person_by_phone``): the ticket is then theirs.
    """
    if not actor.is_authenticated:
        raise NotAllowed()
    if attendee is not None and (not on_behalf or head_count != 1):
        raise DomainError(_("Only one person is registered by their account."), code="attendee_invalid")
    if attendee is not None and not name.strip():
        name = attendee.get_display_name()
    if not population:
        profile_of = attendee if attendee is not None else (None if on_behalf else actor.user)
        population = (key_population_of(profile_of) if profile_of is not None else "") or Population.OTHER
    now = clock.now()
    session = _lock_session(session.pk)
    activity = session.activity
    if on_behalf:
        require(actor, ActivityAction.REGISTER_OTHERS, activity)
        if not name.strip():
            raise DomainError(_("Enter the name of the person or group."), code="name_missing")
    elif head_count != 1:
        raise DomainError(_("Only staff register groups."), code="group_not_allowed")
    if population not in Population.values:
        raise DomainError(_("Choose a population."), code="population_invalid")
    if head_count < 1:
        raise DomainError(_("The head count must be at least 1."), code="head_count_invalid")
    if head_count > session.capacity:
        raise DomainError(
            _("The group is larger than the session (%(capacity)s places).") % {"capacity": session.capacity},
            code="group_too_large",
        )
    _check_open(session, now)
    user = attendee if on_behalf else actor.user
    if user is not None and session.registrations.filter(user=user, status__in=ACTIVE).exists():
        if on_behalf:
            raise AlreadyRegistered(
                _("%(name)s is already signed up for this session.") % {"name": user.get_display_name()}
            )
        raise AlreadyRegistered(_("You are already signed up for this session."))
    registration = Registration(
        session=session,
        user=user,
        registered_by=actor.user,
        head_count=head_count,
        population=population,
        name=(name.strip() or actor.user.get_display_name())[:60],
        note=note[:200],
    )
    # The first state of a sign-up (no transition leads into it).
    registration.status = R.PENDING if activity.needs_approval else _place_for(session, registration)
    try:
        with transaction.atomic():
            registration.save()
    except IntegrityError:
        raise AlreadyRegistered(_("You are already signed up for this session.")) from None
    _tally(session.pk, registered=head_count)
    log_action(
        actor,
        "kepu.activities.registration.created",
        registration,
        place=activity.place,
        data={"status": registration.status, "head_count": head_count},
    )
    if on_behalf and user is not None:
        transaction.on_commit(lambda: _tell_attendee(registration))
    return registration


def _tell_attendee(registration: Registration) -> None:
    """Someone registered by a community worker (by phone) learns it in their inbox, with the ticket."""
    from django.urls import reverse

    from kepu.notifications.services import notify

    notify(
        [registration.user],
        kind="kepu.activities.registered_for_you",
        title=_("You are signed up for %(title)s") % {"title": registration.session.activity.title},
        body=_("%(who)s signed you up (%(status)s). Your ticket is in My sign-ups.")
        % {
            "who": registration.registered_by.get_display_name() if registration.registered_by else "",
            "status": registration.get_status_display(),
        },
        url=reverse("activities:ticket", args=[registration.pk]),
    )


@transaction.atomic
def registration_decide(*, actor: Actor, registration: Registration, approve: bool) -> Registration:
    """Approve or refuse a sign-up that needs approval; an approved one takes a place or queues."""
    session = _lock_session(registration.session_id)
    registration = Registration.objects.select_for_update().get(pk=registration.pk)
    name = "approve" if approve else "reject"
    REGISTRATION.check(actor, registration, name)
    if approve:
        REGISTRATION.move(actor=actor, obj=registration, name=name, to_state=_place_for(session, registration))
    else:
        REGISTRATION.move(actor=actor, obj=registration, name=name)
        _tally(session.pk, registered=-registration.head_count)
    registration.save(update_fields=["status", "waiting_seq", "updated_at"])
    log_action(
        actor,
        "kepu.activities.registration.approved" if approve else "kepu.activities.registration.rejected",
        registration,
        place=session.activity.place,
        data={"status": registration.status},
    )
    return registration


@transaction.atomic
def registration_cancel(*, actor: Actor, registration: Registration) -> Registration:
    """Cancel (by the attendee, whoever registered them, or the organizer); a freed place goes to the queue."""
    session = _lock_session(registration.session_id)
    registration = Registration.objects.select_for_update().get(pk=registration.pk)
    require(actor, RegistrationAction.CANCEL, registration)
    if registration.checked_in_at:
        raise Conflict(_("This person has already been checked in."), code="already_checked_in")
    REGISTRATION.check(actor, registration, "cancel")
    held = registration.status in HOLDING
    REGISTRATION.move(actor=actor, obj=registration, name="cancel")
    registration.offer_expires_at = None
    registration.save(update_fields=["status", "offer_expires_at", "updated_at"])
    if held:
        session.seats_taken -= registration.head_count
        session.save(update_fields=["seats_taken"])
    _tally(session.pk, registered=-registration.head_count)
    log_action(actor, "kepu.activities.registration.cancelled", registration, place=session.activity.place)
    _promote(session, clock.now())
    return registration


def _promote(session: Session, now: datetime) -> list[Registration]:
    """Offer freed places to the waiting list, strictly in order (the caller holds the session lock).

    The head of the queue is offered a place only if their whole head count fits; nobody
    behind them jumps ahead, so nobody is skipped. A registration is offered at most once:
    ``promoted_at`` is set with the offer and an offer that lapses is never renewed.
    """
    offered = []
    if session.is_cancelled or now >= session.starts_at:
        return offered
    hours = session.activity.offer_hours
    while True:
        head = (
            session.registrations.select_for_update()
            .filter(status=R.WAITING, promoted_at__isnull=True)
            .order_by("waiting_seq")
            .first()
        )
        if head is None or head.head_count > session.seats_left:
            break
        REGISTRATION.check(SYSTEM, head, "offer")
        REGISTRATION.move(actor=SYSTEM, obj=head, name="offer")
        head.promoted_at = now
        head.offer_expires_at = min(now + timedelta(hours=hours), session.starts_at)
        head.save(update_fields=["status", "promoted_at", "offer_expires_at", "updated_at"])
        session.seats_taken += head.head_count
        session.save(update_fields=["seats_taken"])
        log_action(
            None,
            "kepu.activities.registration.offered",
            head,
            place=session.activity.place,
            data={"expires_at": head.offer_expires_at.isoformat()},
        )
        offered.append(head)
        transaction.on_commit(lambda r=head: _notify_offer(r))
    return offered


def _notify_offer(registration: Registration) -> None:
    # A group's offer goes to whoever registered it (the teacher, the community worker).
    user = registration.user or registration.registered_by
    if user is not None and user.phone:
        from django.urls import reverse

        from kepu.core.messaging import send_sms
        from kepu.notifications.services import absolute

        expires = timezone.localtime(registration.offer_expires_at)
        send_sms(
            user.phone,
            _("A place is free for %(title)s. Confirm by %(time)s or it passes to the next person.")
            % {"title": registration.session.activity.title, "time": expires.strftime("%m-%d %H:%M")}
            + " "
            + absolute(reverse("activities:ticket", args=[registration.pk])),
            kind="activity_offer",
        )


def registration_accept_offer(*, actor: Actor, registration: Registration) -> Registration:
    """Accept an offered place in time; a late acceptance lapses the offer, passes it on, then fails."""
    with transaction.atomic():
        session = _lock_session(registration.session_id)
        registration = Registration.objects.select_for_update().get(pk=registration.pk)
        REGISTRATION.check(actor, registration, "accept")
        now = clock.now()
        too_late = bool(registration.offer_expires_at and now >= registration.offer_expires_at)
        if too_late:
            # The lapse and the next offer must be kept, so the error is raised after the block commits.
            _lapse(session, registration)
            _promote(session, now)
        else:
            REGISTRATION.move(actor=actor, obj=registration, name="accept")
            registration.offer_expires_at = None
            registration.save(update_fields=["status", "offer_expires_at", "updated_at"])
            log_action(actor, "kepu.activities.registration.offer_accepted", registration, place=session.activity.place)
    if too_late:
        raise OfferExpired(_("The offer has expired and passed to the next person."))
    return registration


def _lapse(session: Session, registration: Registration) -> None:
    REGISTRATION.check(SYSTEM, registration, "lapse")
    REGISTRATION.move(actor=SYSTEM, obj=registration, name="lapse")
    registration.save(update_fields=["status", "updated_at"])
    session.seats_taken -= registration.head_count
    session.save(update_fields=["seats_taken"])
    _tally(session.pk, registered=-registration.head_count)
    log_action(None, "kepu.activities.registration.offer_lapsed", registration, place=session.activity.place)


def offers_expire(*, now: datetime | None = None) -> int:
    """Lapse every offer past its time and pass the places on; returns how many lapsed.

    One transaction per session, so one busy session never holds up the others.
    """
    now = now or clock.now()
    session_ids = list(
        Registration.objects.filter(status=R.OFFERED, offer_expires_at__lte=now)
        .values_list("session_id", flat=True)
        .distinct()
    )
    lapsed = 0
    for session_id in session_ids:
        with transaction.atomic():
            session = _lock_session(session_id)
            expired = list(
                session.registrations.select_for_update()
                .filter(status=R.OFFERED, offer_expires_at__lte=now)
                .order_by("waiting_seq")
            )
            for registration in expired:
                _lapse(session, registration)
                lapsed += 1
            _promote(session, now)
    return lapsed
