"""The hours ledger: credits under an idempotency key, corrections, self-reports; certificates."""

from __future__ import annotations

import secrets
from datetime import date
from typing import TYPE_CHECKING

from django.db import IntegrityError, transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from kepu.accounts.services import person_anonymize
from kepu.core.actor import Actor
from kepu.core.audit import log_action
from kepu.core.errors import Conflict, DomainError
from kepu.core.permissions import require
from kepu.volunteers import rollup, signals
from kepu.volunteers.models import (
    Certificate,
    HoursBalance,
    HoursEntry,
    HoursReport,
    HoursSource,
    ReportStatus,
    Volunteer,
    star_level,
)
from kepu.volunteers.permissions import OrgAction, VolunteerAction
from kepu.volunteers.services._common import _is_member, new_token
from kepu.volunteers.workflow import REPORT

if TYPE_CHECKING:
    from kepu.orgs.models import Organization


MAX_REPORT_MINUTES = 24 * 60


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
        organization_id=organization.pk,
        place_path=organization.place.path,
        district_code=organization.place.district_code,
        served_on=served_on,
        minutes=minutes,
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
