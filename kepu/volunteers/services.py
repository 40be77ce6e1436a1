"""Every write about volunteers, needs, hours, certificates, trainings and experts.

``credit_hours`` is the only way hours enter the ledger; whatever earned them (a need's
presence, an activity's attendance, a delivered order, an approved report) passes an
idempotency key, so the same service is never credited twice.
"""

from __future__ import annotations

import secrets
from datetime import date, datetime, timedelta
from typing import TYPE_CHECKING

from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from kepu.accounts.choices import ConsentKind
from kepu.accounts.selectors import is_member
from kepu.accounts.services import consent_record, membership_create, person_anonymize
from kepu.core import clock
from kepu.core.actor import SYSTEM, Actor
from kepu.core.audit import log_action
from kepu.core.errors import Conflict, DomainError, NotAllowed
from kepu.core.permissions import require
from kepu.core.pii import blind_index, normalize_id_number, normalize_phone
from kepu.core.roles import Role
from kepu.orgs.choices import OrgKind
from kepu.places.choices import PlaceLevel
from kepu.volunteers import rollup, signals
from kepu.volunteers.models import (
    Availability,
    Certificate,
    Education,
    Expert,
    ExpertField,
    ExpertInvitation,
    HoursBalance,
    HoursEntry,
    HoursReport,
    HoursSource,
    InvitationOutcome,
    InvitationTarget,
    JoinRequest,
    JoinStatus,
    Need,
    NeedKind,
    NeedStatus,
    ReportStatus,
    SignUp,
    SignUpStatus,
    Training,
    TrainingAttendance,
    TrainingSession,
    Volunteer,
    index_experts,
    star_level,
)
from kepu.volunteers.permissions import ExpertAction, InvitationAction, OrgAction, VolunteerAction
from kepu.volunteers.workflow import JOIN, REPORT, SIGNUP

if TYPE_CHECKING:
    from kepu.accounts.models import User
    from kepu.orgs.models import Organization
    from kepu.places.models import Place

MAX_REPORT_MINUTES = 24 * 60


def id_index(id_number: str) -> str:
    return blind_index(id_number, "id_number")


def clean_id_number(value: str) -> str:
    try:
        return normalize_id_number(value)
    except ValidationError as exc:
        raise DomainError(exc.messages[0], code=exc.error_list[0].code or "id_invalid") from None


def clean_phone(value: str) -> str:
    try:
        return normalize_phone(value)
    except ValidationError as exc:
        raise DomainError(exc.messages[0], code="phone_invalid") from None


def _clean_choices(values, choices, code: str) -> list[str]:
    values = [v for v in (values or []) if v]
    bad = [v for v in values if v not in choices]
    if bad:
        raise DomainError(_("Unknown choice: %(value)s.") % {"value": ", ".join(bad)}, code=code)
    return list(dict.fromkeys(values))


def _clean_words(values, limit: int = 12) -> list[str]:
    words = [str(v).strip()[:30] for v in (values or []) if str(v).strip()]
    return list(dict.fromkeys(words))[:limit]


def new_token(nbytes: int = 12) -> str:
    return secrets.token_urlsafe(nbytes)[:32]


# --- Registration and profile ---------------------------------------------------------
@transaction.atomic
def volunteer_register(
    *,
    actor: Actor,
    real_name: str,
    id_number: str,
    phone: str = "",
    street: Place | None = None,
    skills=(),
    topics=(),
    languages=(),
    availability=(),
    education: str = "",
    title: str = "",
    consent_version: str = "",
) -> Volunteer:
    """A signed-in person registers as a science volunteer under their real name (实名注册).

    ``consent_version``: the version of the privacy policy the person explicitly agreed to for giving their
    ID number (PIPL); it is recorded with the time, and nobody is registered without it.
    """
    if not actor.is_authenticated:
        raise NotAllowed()
    if not consent_version:
        raise DomainError(_("Please agree to the use of your real name and ID number first."), code="consent_required")
    real_name = (real_name or "").strip()
    if not real_name or len(real_name) > 50:
        raise DomainError(_("Please enter your real name (at most 50 characters)."), code="name_invalid")
    id_number = clean_id_number(id_number)
    phone = clean_phone(phone) if phone else (actor.user.phone or "")
    if street is not None and street.level != PlaceLevel.STREET:
        raise DomainError(_("Please choose a street or town."), code="street_invalid")
    if education and education not in Education.values:
        raise DomainError(_("Please choose your education from the list."), code="education_invalid")
    if Volunteer.objects.filter(user=actor.user).exists():
        raise DomainError(_("You are already registered as a volunteer."), code="volunteer_exists")
    index = id_index(id_number)
    _take_id_number(actor, index)
    volunteer = Volunteer(
        user=actor.user,
        real_name=real_name,
        id_number=id_number,
        id_index=index,
        id_confirmed_at=clock.now(),
        phone=phone,
        street=street,
        skills=_clean_words(skills),
        topics=_clean_words(topics),
        languages=_clean_words(languages),
        availability=_clean_choices(availability, Availability.values, "availability_invalid"),
        education=education,
        title=(title or "").strip()[:50],
        qr_token=new_token(),
    )
    try:
        with transaction.atomic():
            volunteer.save()
    except IntegrityError:
        raise DomainError(_("This ID number is already registered."), code="id_taken") from None
    consent_record(user=actor.user, kind=ConsentKind.VOLUNTEER_ID, version=consent_version)
    log_action(actor, "kepu.volunteers.registered", volunteer, place=street)
    return volunteer


def _take_id_number(actor: Actor, index: str, *, keep: Volunteer | None = None) -> None:
    """Make ``index`` free for ``actor``'s own record: refused when a person has confirmed it as theirs; taken back
    from a profile a team's import created, where nobody confirmed it (an uploader cannot keep the number's holder
    out). The profile keeps its name and history; its team and the person it was made for are told."""
    holder = Volunteer.objects.select_for_update().filter(id_index=index).first()
    if holder is None or holder == keep:
        return
    if holder.id_confirmed_at is not None:
        raise DomainError(_("This ID number is already registered."), code="id_taken")
    holder.id_number = ""
    holder.id_index = None
    holder.save(update_fields=["id_number", "id_index"])
    log_action(actor, "kepu.volunteers.id_reclaimed", holder, data={"volunteer": holder.pk})
    _tell_of_reclaimed_id(holder)


def _tell_of_reclaimed_id(holder: Volunteer) -> None:
    """The teams the profile belongs to, and its person, hear that the number an import entered was taken back."""
    from django.urls import reverse

    from kepu.accounts.selectors import active_memberships, staff_of
    from kepu.notifications.services import notify

    teams = [m.organization_id for m in active_memberships(holder.user)] if holder.user_id else []
    title = _("An ID number entered by an import was taken back by its holder")
    body = _(
        "The ID number entered for %(name)s was registered by the person it belongs to. Please check the row with "
        "%(name)s and ask them for their own ID number."
    ) % {"name": holder.real_name}
    notify(
        staff_of(teams, [Role.VOLUNTEER_ORG_STAFF]),
        kind="kepu.volunteers.id_reclaimed",
        title=title,
        body=body,
        url=reverse("volunteers:volunteer", args=[holder.pk]),
    )
    if holder.user_id:
        notify(
            [holder.user],
            kind="kepu.volunteers.id_reclaimed",
            title=_("Please confirm your ID number"),
            body=_("The ID number a team entered for you belongs to someone else. Please give your own."),
            url=reverse("volunteers:confirm_id"),
        )


@transaction.atomic
def volunteer_confirm_id(*, actor: Actor, id_number: str, consent_version: str = "") -> Volunteer:
    """A person confirms (or gives) the ID number of the profile a team's import made for them.

    The same consent as registering is asked; a number someone else confirmed stays theirs, one an import
    entered elsewhere is taken back.
    """
    if not actor.is_authenticated:
        raise NotAllowed()
    volunteer = Volunteer.objects.select_for_update().filter(user=actor.user, anonymized_at__isnull=True).first()
    if volunteer is None:
        raise NotAllowed()
    if not consent_version:
        raise DomainError(_("Please agree to the use of your real name and ID number first."), code="consent_required")
    id_number = clean_id_number(id_number)
    index = id_index(id_number)
    _take_id_number(actor, index, keep=volunteer)
    volunteer.id_number = id_number
    volunteer.id_index = index
    volunteer.id_confirmed_at = clock.now()
    try:
        with transaction.atomic():
            volunteer.save(update_fields=["id_number", "id_index", "id_confirmed_at"])
    except IntegrityError:
        raise DomainError(_("This ID number is already registered."), code="id_taken") from None
    consent_record(user=actor.user, kind=ConsentKind.VOLUNTEER_ID, version=consent_version)
    log_action(actor, "kepu.volunteers.id_confirmed", volunteer, data={"volunteer": volunteer.pk})
    return volunteer


@transaction.atomic
def volunteer_update(
    *,
    actor: Actor,
    volunteer: Volunteer,
    skills=None,
    topics=None,
    languages=None,
    availability=None,
    education=None,
    title=None,
    street: Place | None = None,
) -> Volunteer:
    volunteer = Volunteer.objects.select_for_update().get(pk=volunteer.pk)
    require(actor, VolunteerAction.CHANGE, volunteer)
    changed = []
    for name, value, cleaner in (
        ("skills", skills, _clean_words),
        ("topics", topics, _clean_words),
        ("languages", languages, _clean_words),
        ("availability", availability, lambda v: _clean_choices(v, Availability.values, "availability_invalid")),
    ):
        if value is not None:
            setattr(volunteer, name, cleaner(value))
            changed.append(name)
    if education is not None:
        if education and education not in Education.values:
            raise DomainError(_("Please choose your education from the list."), code="education_invalid")
        volunteer.education = education
        changed.append("education")
    if title is not None:
        volunteer.title = title.strip()[:50]
        changed.append("title")
    if street is not None:
        if street.level != PlaceLevel.STREET:
            raise DomainError(_("Please choose a street or town."), code="street_invalid")
        volunteer.street = street
        changed.append("street")
    if changed:
        volunteer.save(update_fields=[*changed, "updated_at"])
        log_action(actor, "kepu.volunteers.changed", volunteer, place=volunteer.street, data={"fields": changed})
    return volunteer


def volunteer_reveal(*, actor: Actor, volunteer: Volunteer, field: str) -> str:
    """The full ID number or phone of a volunteer, for those who must see it; always audited."""
    if field not in ("id_number", "phone"):
        raise DomainError(code="field_invalid")
    require(actor, VolunteerAction.VIEW_PII, volunteer)
    log_action(actor, "kepu.volunteers.pii_viewed", volunteer, place=volunteer.street, data={"field": field})
    return getattr(volunteer, field)


def require_volunteer_profile(user) -> None:
    """Before a person accepts an invitation to volunteer: a volunteer profile under their own real name."""
    if not Volunteer.objects.filter(user=user, anonymized_at__isnull=True).exists():
        raise DomainError(
            _("Register as a volunteer under your real name first; then accept the invitation."),
            code="volunteer_profile_required",
        )


# --- Joining organizations ------------------------------------------------------------
def _is_member(volunteer: Volunteer, organization: Organization) -> bool:
    return volunteer.user_id is not None and is_member(volunteer.user_id, organization, Role.VOLUNTEER)


@transaction.atomic
def join_request_create(*, actor: Actor, volunteer: Volunteer, organization: Organization) -> JoinRequest:
    require(actor, VolunteerAction.CHANGE, volunteer)
    if organization.kind != OrgKind.VOLUNTEER_ORG or not organization.is_active:
        raise DomainError(_("Only volunteer organizations take volunteers."), code="org_not_volunteer")
    if volunteer.anonymized_at:
        raise DomainError(_("This volunteer account was anonymized."), code="volunteer_anonymized")
    if _is_member(volunteer, organization):
        raise DomainError(_("You already belong to this organization."), code="already_member")
    if JoinRequest.objects.filter(volunteer=volunteer, organization=organization, status=JoinStatus.PENDING).exists():
        raise DomainError(_("Your request is already waiting for the organization."), code="join_pending")
    request = JoinRequest.objects.create(volunteer=volunteer, organization=organization)
    log_action(actor, "kepu.volunteers.join_requested", request, place=organization.place)
    return request


@transaction.atomic
def join_request_decide(*, actor: Actor, join_request: JoinRequest, approve: bool, reason: str = "") -> JoinRequest:
    """The organization approves (the volunteer becomes its member) or rejects with a reason."""
    jr = (
        JoinRequest.objects.select_for_update(of=("self",))
        .select_related("organization__place", "volunteer")
        .get(pk=join_request.pk)
    )
    name = "approve" if approve else "reject"
    require(actor, OrgAction.DECIDE, jr)
    if jr.status != JoinStatus.PENDING:
        raise Conflict(_("This request was already decided."), code="join_decided")
    JOIN.check(actor, jr, name)
    reason = JOIN.clean_reason(reason)[:200] if JOIN[name].needs_reason else (reason or "").strip()[:200]
    JOIN.move(actor=actor, obj=jr, name=name)
    jr.reason = reason
    jr.decided_by = actor.user
    jr.decided_at = timezone.now()
    jr.save(update_fields=["status", "reason", "decided_by", "decided_at", "updated_at"])
    if approve and jr.volunteer.user_id:
        membership_create(actor=actor, user=jr.volunteer.user, organization=jr.organization, role=Role.VOLUNTEER)
    log_action(
        actor,
        JOIN.audit_code(name),
        jr,
        place=jr.organization.place,
        data={"reason": reason},
    )
    return jr


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


def _check_need_ref(actor: Actor, kind: str, ref_id: int) -> None:
    """The activity (an open day is an activity too) or the order a need (or an expert's invitation) names must
    exist and be visible to the organization: presence at a need is then the volunteers' presence there."""
    from kepu.core.errors import NotFound

    try:
        if kind in (NeedKind.ACTIVITY, NeedKind.OPEN_DAY):
            from kepu.activities.selectors import activity_for_visitor

            activity_for_visitor(actor=actor, pk=ref_id)
        elif kind == NeedKind.ORDER:
            from kepu.orders.selectors import order_get

            order_get(actor=actor, pk=ref_id)
        else:
            raise DomainError(
                _("Only a need for an activity, an order or an open day names a number."), code="need_ref_kind"
            )
    except NotFound:
        message = (
            _("There is no order with this number that your organization serves.")
            if kind == NeedKind.ORDER
            else _("There is no activity with this number that your organization may see.")
        )
        raise DomainError(message, code="need_ref_unknown") from None


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


# --- The hours ledger ----------------------------------------------------------------
def ledger_key(key) -> str:
    if isinstance(key, (tuple, list)):
        return ":".join(str(part) for part in key)
    return str(key)


@transaction.atomic
def credit_hours(
    *,
    volunteer: Volunteer,
    organization: Organization,
    minutes: int,
    source: str,
    key,
    served_on: date,
    note: str = "",
    actor: Actor | None = None,
    corrects: HoursEntry | None = None,
) -> tuple[HoursEntry, bool]:
    """Append one entry to the hours ledger, once per ``key``; return ``(entry, created)``.

    ``key`` names what earned the hours, e.g. ``("order", order_id, volunteer_id)``. A second
    call with the same key returns the first entry and changes nothing. This is the single
    entry point for hours: callers authorize the act that earned them (a sign-out, an
    approval, a delivered order) before calling it.
    """
    key = ledger_key(key)
    if source not in HoursSource.values:
        raise DomainError(code="hours_source")
    if source != HoursSource.CORRECTION and minutes <= 0:
        raise DomainError(_("Hours must be more than zero."), code="hours_not_positive")
    balance, _created = HoursBalance.objects.get_or_create(volunteer=volunteer, organization=organization)
    # Locking the balance row serializes credits for one volunteer and organization.
    balance = HoursBalance.objects.select_for_update().get(pk=balance.pk)
    existing = HoursEntry.objects.filter(key=key).first()
    if existing is not None:
        return existing, False
    before = _volunteer_minutes(volunteer.pk)
    try:
        with transaction.atomic():
            entry = HoursEntry.objects.create(
                volunteer=volunteer,
                organization=organization,
                minutes=minutes,
                source=source,
                key=key,
                served_on=served_on,
                note=(note or "")[:200],
                corrects=corrects,
                created_by=actor.user if actor is not None and actor.is_authenticated else None,
            )
    except IntegrityError:
        return HoursEntry.objects.get(key=key), False
    HoursBalance.objects.filter(pk=balance.pk).update(minutes=balance.minutes + minutes, entries=balance.entries + 1)
    rollup.add(
        organization_id=organization.pk, place_path=organization.place.path, served_on=served_on, minutes=minutes
    )
    log_action(
        actor,
        "kepu.volunteers.hours_credited",
        entry,
        place=organization.place,
        data={"minutes": minutes, "key": key, "source": source},
    )
    after = before + minutes
    transaction.on_commit(lambda: signals.hours_credited.send(sender=HoursEntry, entry=entry))
    if star_level(after) != star_level(before):
        stars = star_level(after)
        transaction.on_commit(
            lambda: signals.star_level_changed.send(sender=Volunteer, volunteer=volunteer, stars=stars)
        )
    return entry, True


def _volunteer_minutes(volunteer_id: int) -> int:
    from django.db.models import Sum

    return HoursBalance.objects.filter(volunteer_id=volunteer_id).aggregate(t=Sum("minutes"))["t"] or 0


@transaction.atomic
def hours_correct(*, actor: Actor, entry: HoursEntry, minutes: int, reason: str) -> HoursEntry:
    """Correct a ledger entry by appending an entry of ``minutes`` (negative to take hours back)."""
    entry = HoursEntry.objects.select_related("organization__place", "volunteer").get(pk=entry.pk)
    require(actor, OrgAction.CORRECT, entry)
    reason = (reason or "").strip()
    if not reason:
        raise DomainError(_("Please give a reason for the correction."), code="reason_required")
    if minutes == 0:
        raise DomainError(_("A correction must change the hours."), code="correction_zero")
    corrected = entry.minutes + sum(c.minutes for c in entry.corrections.all())
    if corrected + minutes < 0:
        raise DomainError(_("A correction cannot take back more than was credited."), code="correction_too_large")
    n = entry.corrections.count() + 1
    new, _created = credit_hours(
        volunteer=entry.volunteer,
        organization=entry.organization,
        minutes=minutes,
        source=HoursSource.CORRECTION,
        key=("correction", entry.pk, n),
        served_on=entry.served_on,
        note=reason[:200],
        actor=actor,
        corrects=entry,
    )
    return new


@transaction.atomic
def hours_report_create(
    *, actor: Actor, organization: Organization, served_on: date, minutes: int, description: str
) -> HoursReport:
    volunteer = Volunteer.objects.filter(user=actor.user).first() if actor.is_authenticated else None
    if volunteer is None:
        raise DomainError(_("Register as a volunteer first."), code="not_volunteer", status=403)
    if not _is_member(volunteer, organization):
        raise DomainError(
            _("You can report hours only to an organization you belong to."), code="not_member", status=403
        )
    if not 0 < minutes <= MAX_REPORT_MINUTES:
        raise DomainError(_("Report between 1 minute and 24 hours for one day."), code="report_minutes")
    if served_on > timezone.localdate():
        raise DomainError(_("Hours cannot be reported for a future day."), code="report_future")
    description = (description or "").strip()
    if not description:
        raise DomainError(_("Please say what you did."), code="description_required")
    report = HoursReport.objects.create(
        volunteer=volunteer,
        organization=organization,
        served_on=served_on,
        minutes=minutes,
        description=description[:200],
    )
    log_action(actor, "kepu.volunteers.hours_reported", report, place=organization.place, data={"minutes": minutes})
    return report


@transaction.atomic
def hours_report_decide(*, actor: Actor, report: HoursReport, approve: bool, reason: str = "") -> HoursReport:
    report = (
        HoursReport.objects.select_for_update(of=("self",))
        .select_related("organization__place", "volunteer")
        .get(pk=report.pk)
    )
    require(actor, OrgAction.DECIDE, report)
    if report.status != ReportStatus.PENDING:
        raise Conflict(_("This report was already decided."), code="report_decided")
    name = "approve" if approve else "reject"
    REPORT.check(actor, report, name)
    reason = REPORT.clean_reason(reason)[:200] if REPORT[name].needs_reason else (reason or "").strip()[:200]
    REPORT.move(actor=actor, obj=report, name=name)
    report.reason = reason
    report.decided_by = actor.user
    report.decided_at = timezone.now()
    report.save(update_fields=["status", "reason", "decided_by", "decided_at", "updated_at"])
    log_action(
        actor,
        REPORT.audit_code(name),
        report,
        place=report.organization.place,
        data={"reason": reason},
    )
    if approve:
        credit_hours(
            volunteer=report.volunteer,
            organization=report.organization,
            minutes=report.minutes,
            source=HoursSource.REPORT,
            key=("report", report.pk),
            served_on=report.served_on,
            note=report.description,
            actor=actor,
        )
    return report


# --- Certificates and anonymization -----------------------------------------------------
@transaction.atomic
def certificate_issue(*, actor: Actor, volunteer: Volunteer) -> Certificate:
    """A certificate of the hours credited so far; the number is what its QR code verifies."""
    require(actor, VolunteerAction.CHANGE, volunteer)
    minutes = _volunteer_minutes(volunteer.pk)
    if minutes <= 0:
        raise DomainError(_("There are no hours to certify yet."), code="no_hours")
    from django.db.models import Max, Min

    number = f"KP{timezone.localdate():%Y}{secrets.token_hex(6).upper()}"
    main = (
        HoursBalance.objects.filter(volunteer=volunteer, minutes__gt=0)
        .select_related("organization")
        .order_by("-minutes", "organization_id")
        .first()
    )
    period = HoursEntry.objects.filter(volunteer=volunteer).aggregate(start=Min("served_on"), end=Max("served_on"))
    cert = Certificate.objects.create(
        volunteer=volunteer,
        number=number,
        minutes=minutes,
        stars=star_level(minutes),
        organization=main.organization if main else None,
        period_start=period["start"],
        period_end=period["end"],
    )
    log_action(actor, "kepu.volunteers.certificate_issued", cert, place=volunteer.street, data={"minutes": minutes})
    return cert


@transaction.atomic
def volunteer_anonymize(*, actor: Actor, volunteer: Volunteer) -> Volunteer:
    """Erase what identifies the volunteer (PIPL); the ledger keeps the hours, so totals still count them.

    The person's account is anonymized and closed too, by accounts' ``person_anonymize``.
    """
    volunteer = Volunteer.objects.select_for_update().get(pk=volunteer.pk)
    require(actor, VolunteerAction.ANONYMIZE, volunteer)
    if volunteer.anonymized_at:
        return volunteer
    if volunteer.user_id:
        person_anonymize(actor=actor, person=volunteer.user)
    volunteer.real_name = ""
    volunteer.id_number = ""
    volunteer.id_index = None
    volunteer.phone = ""
    volunteer.skills = volunteer.topics = volunteer.languages = volunteer.availability = []
    volunteer.title = ""
    volunteer.qr_token = new_token()
    volunteer.anonymized_at = timezone.now()
    volunteer.save()
    log_action(actor, "kepu.volunteers.anonymized", volunteer, data={"volunteer": volunteer.pk})
    return volunteer


# --- Trainings ---------------------------------------------------------------------------
@transaction.atomic
def training_create(*, actor: Actor, title: str, hours, description: str = "") -> Training:
    if actor.organization is None:
        raise NotAllowed()
    training = Training(
        organization=actor.organization, title=(title or "").strip()[:100], hours=hours, description=description or ""
    )
    require(actor, OrgAction.MANAGE, training)
    if not training.title:
        raise DomainError(_("Please give the training a title."), code="title_required")
    training.save()
    log_action(actor, "kepu.volunteers.training_created", training, place=actor.place)
    return training


@transaction.atomic
def training_session_create(
    *, actor: Actor, training: Training, starts_at: datetime, location: str = ""
) -> TrainingSession:
    require(actor, OrgAction.MANAGE, training)
    session = TrainingSession.objects.create(training=training, starts_at=starts_at, location=location[:100])
    log_action(actor, "kepu.volunteers.training_session_created", session, place=training.organization.place)
    return session


@transaction.atomic
def training_attendance_record(*, actor: Actor, session: TrainingSession, volunteer: Volunteer) -> TrainingAttendance:
    """Record that a volunteer attended; it gives a training certificate number."""
    session = TrainingSession.objects.select_related("training__organization__place").get(pk=session.pk)
    require(actor, OrgAction.MANAGE, session.training)
    attendance, created = TrainingAttendance.objects.get_or_create(
        session=session,
        volunteer=volunteer,
        defaults={"certificate_no": f"PX{timezone.localdate():%Y}{secrets.token_hex(5).upper()}"},
    )
    if created:
        log_action(actor, "kepu.volunteers.training_attended", attendance, place=session.training.organization.place)
    return attendance


# --- Experts --------------------------------------------------------------------------
def _clean_expert_fields(field: str, audiences, emergency_fields):
    from kepu.volunteers.models import Audience, EmergencyField

    if field not in ExpertField.values:
        raise DomainError(_("Please choose a field from the list."), code="field_invalid")
    return (
        _clean_choices(audiences, Audience.values, "audience_invalid"),
        _clean_choices(emergency_fields, EmergencyField.values, "emergency_field_invalid"),
    )


@transaction.atomic
def expert_create(
    *,
    actor: Actor,
    name: str,
    field: str,
    district: Place,
    subfield: str = "",
    title: str = "",
    affiliation: str = "",
    phone: str = "",
    topics=(),
    audiences=(),
    available: bool = True,
    term_start: date | None = None,
    term_end: date | None = None,
    is_emergency: bool = False,
    emergency_fields=(),
    user: User | None = None,
) -> Expert:
    audiences, emergency_fields = _clean_expert_fields(field, audiences, emergency_fields)
    name = (name or "").strip()
    if not name:
        raise DomainError(_("Please enter the expert's name."), code="name_invalid")
    if district.level != PlaceLevel.DISTRICT:
        raise DomainError(_("Please choose a district."), code="district_invalid")
    if term_start and term_end and term_end < term_start:
        raise DomainError(_("The term must end after it starts."), code="term_dates")
    expert = Expert(
        user=user,
        name=name[:50],
        phone=clean_phone(phone) if phone else "",
        field=field,
        subfield=subfield.strip()[:40],
        title=title.strip()[:50],
        affiliation=affiliation.strip()[:100],
        district=district,
        topics=_clean_words(topics),
        audiences=audiences,
        available=available,
        term_start=term_start,
        term_end=term_end,
        is_emergency=is_emergency,
        emergency_fields=emergency_fields if is_emergency else [],
    )
    require(actor, ExpertAction.MANAGE, expert)
    expert.refresh_search()
    expert.save()
    index_experts([expert])
    log_action(actor, "kepu.volunteers.expert.created", expert, place=district)
    return expert


def expert_reveal_phone(*, actor: Actor, expert: Expert) -> str:
    require(actor, ExpertAction.VIEW_PII, expert)
    log_action(actor, "kepu.volunteers.expert.pii_viewed", expert, place=expert.district, data={"field": "phone"})
    return expert.phone


@transaction.atomic
def expert_invite(*, actor: Actor, expert: Expert, target: str, target_id: int, message: str = "") -> ExpertInvitation:
    """Invite an expert to a service order or an activity (by its number)."""
    require(actor, ExpertAction.INVITE, expert)
    if target not in InvitationTarget.values:
        raise DomainError(code="target_invalid")
    _check_need_ref(actor, NeedKind.ORDER if target == InvitationTarget.ORDER else NeedKind.ACTIVITY, target_id)
    if not expert.available:
        raise DomainError(_("This expert is not available at the moment."), code="expert_unavailable")
    if ExpertInvitation.objects.filter(
        expert=expert, target=target, target_id=target_id, outcome=InvitationOutcome.INVITED
    ).exists():
        raise DomainError(_("This expert has already been invited to it."), code="already_invited")
    invitation = ExpertInvitation.objects.create(
        expert=expert,
        organization=actor.organization,
        target=target,
        target_id=target_id,
        message=(message or "")[:200],
    )
    log_action(
        actor,
        "kepu.volunteers.expert.invited",
        invitation,
        place=actor.place,
        data={"target": target, "target_id": target_id},
    )
    transaction.on_commit(lambda: signals.expert_invited.send(sender=ExpertInvitation, invitation=invitation))
    if expert.user_id:
        _tell_invited_expert(invitation)
    return invitation


def _tell_invited_expert(invitation: ExpertInvitation) -> None:
    """The invited expert hears of it in their inbox and by SMS, with what they are invited to."""
    from django.urls import reverse

    from kepu.notifications.services import INBOX, SMS, notify

    what = _("service order %(n)s") if invitation.target == InvitationTarget.ORDER else _("activity %(n)s")
    url = reverse(
        "orders:detail" if invitation.target == InvitationTarget.ORDER else "activities:detail",
        args=[invitation.target_id],
    )
    notify(
        [invitation.expert.user],
        kind="kepu.volunteers.expert.invited",
        title=_("%(org)s invites you to %(what)s")
        % {
            "org": invitation.organization.display_name if invitation.organization else "",
            "what": what % {"n": invitation.target_id},
        },
        body=invitation.message,
        url=url,
        channels=(INBOX, SMS),
    )


@transaction.atomic
def invitation_record_outcome(
    *, actor: Actor, invitation: ExpertInvitation, outcome: str, note: str = ""
) -> ExpertInvitation:
    invitation = ExpertInvitation.objects.select_for_update().get(pk=invitation.pk)
    require(actor, InvitationAction.RECORD_OUTCOME, invitation)
    if outcome not in InvitationOutcome.values or outcome == InvitationOutcome.INVITED:
        raise DomainError(_("Please choose an outcome."), code="outcome_invalid")
    invitation.outcome = outcome
    invitation.outcome_note = (note or "").strip()[:200]
    invitation.save(update_fields=["outcome", "outcome_note", "updated_at"])
    log_action(
        actor, "kepu.volunteers.expert.invitation_outcome", invitation, place=actor.place, data={"outcome": outcome}
    )
    return invitation
