"""Volunteers: registration, identity, profile, the full numbers shown; joining organizations."""

from __future__ import annotations

from typing import TYPE_CHECKING

from django.db import IntegrityError, transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from kepu.accounts.choices import ConsentKind
from kepu.accounts.services import consent_record, membership_create
from kepu.core import clock
from kepu.core.actor import Actor
from kepu.core.audit import log_action
from kepu.core.errors import Conflict, DomainError, NotAllowed
from kepu.core.permissions import require
from kepu.core.roles import Role
from kepu.orgs.choices import OrgKind
from kepu.places.choices import PlaceLevel
from kepu.volunteers.models import Availability, Education, JoinRequest, JoinStatus, Volunteer
from kepu.volunteers.permissions import OrgAction, VolunteerAction
from kepu.volunteers.services._common import (
    _clean_choices,
    _clean_words,
    _is_member,
    clean_id_number,
    clean_phone,
    id_index,
    new_token,
)
from kepu.volunteers.workflow import JOIN

if TYPE_CHECKING:
    from kepu.orgs.models import Organization
    from kepu.places.models import Place


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
