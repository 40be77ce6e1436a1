"""Trainings, and the expert library: experts, their invitations and outcomes."""

from __future__ import annotations

import secrets
from datetime import date, datetime
from typing import TYPE_CHECKING

from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from kepu.core.actor import Actor
from kepu.core.audit import log_action
from kepu.core.errors import DomainError, NotAllowed
from kepu.core.permissions import require
from kepu.places.choices import PlaceLevel
from kepu.volunteers import signals
from kepu.volunteers.models import (
    Expert,
    ExpertField,
    ExpertInvitation,
    InvitationOutcome,
    InvitationTarget,
    NeedKind,
    Training,
    TrainingAttendance,
    TrainingSession,
    Volunteer,
)
from kepu.volunteers.permissions import ExpertAction, InvitationAction, OrgAction
from kepu.volunteers.search import index_experts
from kepu.volunteers.services._common import _check_need_ref, _clean_choices, _clean_words, clean_phone

if TYPE_CHECKING:
    from kepu.accounts.models import User
    from kepu.places.models import Place


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
