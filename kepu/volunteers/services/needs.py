"""Needs of volunteer organizations, sign-ups and presence (sign in, sign out)."""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import TYPE_CHECKING

from django.conf import settings
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from kepu.accounts.selectors import is_member
from kepu.core import clock
from kepu.core.actor import SYSTEM, Actor
from kepu.core.audit import log_action
from kepu.core.errors import Conflict, DomainError, NotAllowed
from kepu.core.permissions import require
from kepu.core.roles import Role
from kepu.volunteers.models import (
    HoursSource,
    Need,
    NeedKind,
    NeedStatus,
    SignUp,
    SignUpStatus,
    Training,
    TrainingAttendance,
    Volunteer,
)
from kepu.volunteers.permissions import OrgAction
from kepu.volunteers.services._common import _check_need_ref, _clean_words, _is_member
from kepu.volunteers.services.hours import credit_hours
from kepu.volunteers.workflow import SIGNUP

if TYPE_CHECKING:
    from kepu.accounts.models import User
    from kepu.orgs.models import Organization
    from kepu.places.models import Place


# --- Needs, sign-ups and presence -----------------------------------------------------
@transaction.atomic
def need_create(
    *,
    actor: Actor,
    title: str,
    place: Place,
    starts_at: datetime,
    ends_at: datetime,
    slots: int,
    standby_slots: int = 0,
    kind: str = NeedKind.OTHER,
    ref_id: int | None = None,
    skills=(),
    address: str = "",
    required_training: Training | None = None,
    leader: User | None = None,
) -> Need:
    """A volunteer organization posts a need for volunteers (招募)."""
    organization = actor.organization
    need = Need(
        organization=organization,
        title=(title or "").strip()[:100],
        place=place,
        starts_at=starts_at,
        ends_at=ends_at,
        slots=slots,
        standby_slots=standby_slots,
        kind=kind,
        ref_id=ref_id,
        skills=_clean_words(skills),
        address=(address or "").strip()[:200],
        required_training=required_training,
        leader=leader,
    )
    if organization is None:
        raise NotAllowed()
    require(actor, OrgAction.MANAGE, need)
    if not need.title:
        raise DomainError(_("Please give the need a title."), code="title_required")
    if ends_at <= starts_at:
        raise DomainError(_("The end must be after the start."), code="need_times")
    if slots < 1:
        raise DomainError(_("At least one volunteer must be needed."), code="need_slots")
    if kind not in NeedKind.values:
        raise DomainError(code="need_kind")
    if leader is not None and not (_is_member_user(leader, organization) or is_member(leader, organization)):
        raise DomainError(_("The team leader must belong to the organization."), code="leader_not_member")
    if ref_id is not None:
        _check_need_ref(actor, kind, ref_id)
    need.save()
    log_action(actor, "kepu.volunteers.need_posted", need, place=place)
    return need


def need_credit(need: Need, volunteer_id: int) -> tuple[str, tuple]:
    """The ledger source and key of a volunteer's service at a need.

    A need for an order shares the key of the order's own crediting (``order_delivered``), so a
    volunteer who signed in and out and was also listed at delivery is credited once; a need for
    an activity or an open day is the volunteers' presence at that activity.
    """
    if need.ref_id and need.kind == NeedKind.ORDER:
        return HoursSource.ORDER, ("order", need.ref_id, volunteer_id)
    if need.ref_id and need.kind in (NeedKind.ACTIVITY, NeedKind.OPEN_DAY):
        return HoursSource.ACTIVITY, ("activity", need.ref_id, "need", need.pk, volunteer_id)
    return HoursSource.NEED, ("need", need.pk, volunteer_id)


def _is_member_user(user: User, organization: Organization) -> bool:
    return is_member(user, organization, Role.VOLUNTEER)


def has_completed(volunteer: Volunteer, training: Training) -> bool:
    return TrainingAttendance.objects.filter(volunteer=volunteer, session__training=training).exists()


@transaction.atomic
def signup_create(*, actor: Actor, need: Need) -> SignUp:
    """A volunteer of the organization signs up for one of its open needs."""
    need = (
        Need.objects.select_for_update(of=("self",)).select_related("organization", "required_training").get(pk=need.pk)
    )
    volunteer = Volunteer.objects.filter(user=actor.user).first() if actor.is_authenticated else None
    if volunteer is None:
        raise DomainError(_("Register as a volunteer first."), code="not_volunteer", status=403)
    if not _is_member(volunteer, need.organization):
        raise DomainError(_("Join the organization before signing up for its needs."), code="not_member", status=403)
    if need.status != NeedStatus.OPEN or need.ends_at <= clock.now():
        raise DomainError(_("This need no longer takes sign-ups."), code="need_closed")
    if need.required_training_id and not has_completed(volunteer, need.required_training):
        raise DomainError(
            _("This need requires the training %(training)s.") % {"training": need.required_training.title},
            code="training_required",
        )
    existing = SignUp.objects.filter(need=need, volunteer=volunteer).first()
    if existing and not SIGNUP.allowed(actor, existing, "reapply"):
        raise DomainError(_("You have already signed up."), code="signup_exists")
    if existing:
        SIGNUP.move(actor=actor, obj=existing, name="reapply")
        existing.save(update_fields=["status", "updated_at"])
        signup = existing
    else:
        signup = SignUp.objects.create(need=need, volunteer=volunteer)
    log_action(actor, "kepu.volunteers.signed_up", signup, place=need.place)
    return signup


def _counts(need: Need) -> tuple[int, int]:
    confirmed = need.signups.filter(status=SignUpStatus.CONFIRMED).count()
    standby = need.signups.filter(status=SignUpStatus.STANDBY).count()
    return confirmed, standby


@transaction.atomic
def signup_decide(*, actor: Actor, signup: SignUp, confirm: bool) -> SignUp:
    """The organization confirms a sign-up (or puts it on standby when the places are full), or declines it."""
    need = Need.objects.select_for_update().get(pk=signup.need_id)
    signup = SignUp.objects.select_for_update().get(pk=signup.pk)
    require(actor, OrgAction.MANAGE, need)
    if signup.status not in (SignUpStatus.APPLIED, SignUpStatus.STANDBY):
        raise Conflict(_("This sign-up was already decided."), code="signup_decided")
    name = "confirm" if confirm else "reject"
    SIGNUP.check(actor, signup, name)
    if confirm:
        confirmed, standby = _counts(need)
        if confirmed < need.slots:
            to = SignUpStatus.CONFIRMED
        elif signup.status == SignUpStatus.APPLIED and standby < need.standby_slots:
            to = SignUpStatus.STANDBY
        else:
            raise DomainError(_("All places, standby included, are taken."), code="need_full")
        SIGNUP.move(actor=actor, obj=signup, name=name, to_state=to)
    else:
        SIGNUP.move(actor=actor, obj=signup, name=name)
    signup.save(update_fields=["status", "updated_at"])
    log_action(actor, SIGNUP.audit_code(name), signup, place=need.place, data={"to": signup.status})
    return signup


@transaction.atomic
def signup_withdraw(*, actor: Actor, signup: SignUp) -> SignUp:
    """The volunteer withdraws; the first standby volunteer moves up to the free place."""
    need = Need.objects.select_for_update().get(pk=signup.need_id)
    signup = SignUp.objects.select_for_update(of=("self",)).select_related("volunteer").get(pk=signup.pk)
    if signup.volunteer.user_id != actor.user_id:
        raise NotAllowed()
    if not SIGNUP.allowed(actor, signup, "withdraw"):
        raise Conflict(_("This sign-up can no longer be withdrawn."), code="signup_final")
    was_confirmed = signup.status == SignUpStatus.CONFIRMED
    SIGNUP.move(actor=actor, obj=signup, name="withdraw")
    signup.save(update_fields=["status", "updated_at"])
    log_action(actor, SIGNUP.audit_code("withdraw"), signup, place=need.place)
    if was_confirmed:
        nxt = need.signups.select_for_update().filter(status=SignUpStatus.STANDBY).order_by("created_at", "pk").first()
        if nxt is not None:
            SIGNUP.check(SYSTEM, nxt, "move_up")
            SIGNUP.move(actor=SYSTEM, obj=nxt, name="move_up")
            nxt.save(update_fields=["status", "updated_at"])
            log_action(None, SIGNUP.audit_code("move_up"), nxt, place=need.place)
    return signup


def _presence_signup(actor: Actor, need: Need, volunteer_token: str) -> SignUp:
    require(actor, OrgAction.CHECK_IN, need)
    signup = (
        SignUp.objects.select_for_update(of=("self",))
        .select_related("volunteer")
        .filter(need=need, volunteer__qr_token=volunteer_token)
        .first()
    )
    if signup is None:
        raise DomainError(_("This volunteer has not signed up for this need."), code="not_signed_up", status=404)
    if signup.status != SignUpStatus.CONFIRMED:
        raise DomainError(_("This volunteer's sign-up is not confirmed."), code="signup_not_confirmed")
    return signup


def served_minutes(need: Need, signed_in_at: datetime, signed_out_at: datetime) -> int:
    """The minutes a volunteer's presence overlaps the need's hours: what counts as service.

    Arriving early to set up or staying late to tidy is not credited; nor is any time before the
    need begins (hours are recorded only when they can have happened).
    """
    start, end = max(signed_in_at, need.starts_at), min(signed_out_at, need.ends_at)
    return max(0, int((end - start).total_seconds() // 60))


@transaction.atomic
def presence_sign_in(*, actor: Actor, need: Need, volunteer_token: str, at: datetime | None = None) -> SignUp:
    """The team leader signs a volunteer in (by scanning the volunteer's QR code).

    From a set time before the need begins (``KEPU_CHECKIN_OPENS_MINUTES``, as at an activity's
    door) until it ends, and never at a time still to come.
    """
    signup = _presence_signup(actor, need, volunteer_token)
    if signup.signed_in_at:
        raise Conflict(_("Already signed in."), code="already_signed_in")
    now = clock.now()
    at = at or now
    opens = need.starts_at - timedelta(minutes=settings.KEPU_CHECKIN_OPENS_MINUTES)
    if at > now:
        raise DomainError(_("A presence cannot be recorded for a time still to come."), code="presence_future")
    if at < opens:
        raise DomainError(
            _("Signing in opens at %(time)s.") % {"time": timezone.localtime(opens).strftime("%m-%d %H:%M")},
            code="presence_not_open",
        )
    if at > need.ends_at + timedelta(hours=1):
        raise DomainError(
            _("The need has ended: record the presence afterwards, from when to when."), code="presence_closed"
        )
    signup.signed_in_at = at
    signup.save(update_fields=["signed_in_at", "updated_at"])
    log_action(actor, "kepu.volunteers.signed_in", signup, place=need.place)
    return signup


@transaction.atomic
def presence_sign_out(*, actor: Actor, need: Need, volunteer_token: str, at: datetime | None = None) -> SignUp:
    """Sign out: the minutes of presence within the need's hours are credited (``served_minutes``)."""
    signup = _presence_signup(actor, need, volunteer_token)
    if not signup.signed_in_at:
        raise DomainError(_("Sign the volunteer in first."), code="not_signed_in")
    if signup.signed_out_at:
        raise Conflict(_("Already signed out."), code="already_signed_out")
    now = clock.now()
    out = at or now
    if out > now:
        raise DomainError(_("A presence cannot be recorded for a time still to come."), code="presence_future")
    if out <= signup.signed_in_at:
        raise DomainError(_("The sign-out must be after the sign-in."), code="presence_times")
    minutes = served_minutes(need, signup.signed_in_at, out)
    signup.signed_out_at = out
    signup.minutes = minutes
    signup.save(update_fields=["signed_out_at", "minutes", "updated_at"])
    log_action(actor, "kepu.volunteers.signed_out", signup, place=need.place, data={"minutes": minutes})
    if minutes:
        source, key = need_credit(need, signup.volunteer_id)
        credit_hours(
            volunteer=signup.volunteer,
            organization=need.organization,
            minutes=minutes,
            source=source,
            key=key,
            served_on=timezone.localdate(max(signup.signed_in_at, need.starts_at)),
            note=need.title[:200],
            actor=actor,
        )
    return signup


@transaction.atomic
def presence_record(
    *, actor: Actor, need: Need, signup: SignUp, signed_in_at: datetime, signed_out_at: datetime
) -> SignUp:
    """The team leader records a volunteer's presence afterwards (no QR code at hand): from when to when.

    The times must lie within the need's hours (an hour of leeway each side) and not in the
    future; the minutes within the need's hours are credited, as by a sign-out.
    """
    signup = SignUp.objects.select_related("volunteer").get(pk=signup.pk, need=need)
    leeway = timedelta(hours=1)
    if not (need.starts_at - leeway <= signed_in_at < signed_out_at <= min(need.ends_at + leeway, clock.now())):
        raise DomainError(
            _("The times must be within the need's hours, the sign-out after the sign-in, and not in the future."),
            code="presence_times",
        )
    token = signup.volunteer.qr_token
    if not signup.signed_in_at:
        presence_sign_in(actor=actor, need=need, volunteer_token=token, at=signed_in_at)
    return presence_sign_out(actor=actor, need=need, volunteer_token=token, at=signed_out_at)
