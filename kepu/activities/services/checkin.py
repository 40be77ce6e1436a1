"""Check-in at the door (tickets, walk-ins, late entries) and by the exported check-in list."""

from __future__ import annotations

import secrets
from dataclasses import dataclass
from datetime import datetime
from typing import TYPE_CHECKING

from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from kepu.activities.models import Activity, Registration, Session, WalkIn
from kepu.activities.permissions import ActivityAction, RegistrationAction
from kepu.activities.services._common import AlreadyCheckedIn, R, TicketUnknown, _lock_session, _tally
from kepu.activities.services.followup import _invite_to_survey
from kepu.activities.workflow import ACTIVITY
from kepu.core import clock
from kepu.core.actor import Actor
from kepu.core.audit import log_action
from kepu.core.errors import Conflict, DomainError
from kepu.core.permissions import require
from kepu.core.populations import Population

if TYPE_CHECKING:
    from kepu.activities.checkin_sheet import Sheet, SheetRow

TICKET_PREFIX = "KEPU-TICKET:"


# --- Check-in ----------------------------------------------------------------------------------------
class CheckinNotOpen(DomainError):
    code = "checkin_not_open"
    status = 409


class CheckinClosed(DomainError):
    code = "checkin_closed"
    status = 409


def _at_the_door(session: Session, now: datetime, late_reason: str | None) -> str:
    """Whether someone may be counted at ``session`` now; returns the late-entry reason ("" at the door).

    At the door from ``checkin_opens_at`` to the session's end. After the session has begun, someone
    the door missed may be counted as a late entry (补登): a separate act with a reason, audited.
    Before the window opens nobody is counted, whatever the reason.
    """
    if late_reason is not None:
        if now < session.starts_at:
            raise CheckinNotOpen(
                _("A late entry can be recorded only once the session has begun."), code="late_too_early"
            )
        return ACTIVITY.clean_reason(late_reason)[:300]
    if now < session.checkin_opens_at:
        when = timezone.localtime(session.checkin_opens_at).strftime("%m-%d %H:%M")
        raise CheckinNotOpen(_("Check-in opens at %(time)s.") % {"time": when})
    if now > session.checkin_closes_at:
        raise CheckinClosed(_("The session has ended: record a late entry, with the reason, to count someone now."))
    return ""


def parse_ticket(payload: str) -> str:
    code = (payload or "").strip()
    if code.upper().startswith(TICKET_PREFIX):
        code = code[len(TICKET_PREFIX) :]
    if "/t/" in code:  # a scanned URL form of the ticket
        code = code.rsplit("/t/", 1)[1].strip("/")
    return code


@transaction.atomic
def check_in(
    *,
    actor: Actor,
    activity: Activity,
    payload: str = "",
    registration: Registration | None = None,
    session: Session | None = None,
    late_reason: str | None = None,
) -> Registration:
    """Check an attendee in by the QR payload (or a registration found by name) for ``activity``.

    Only while the session's check-in is open (see ``_at_the_door``); ``late_reason`` makes it a late
    entry (``check_in_late``).
    """
    if registration is None:
        code = parse_ticket(payload)
        registration = Registration.objects.filter(ticket_code=code, session__activity=activity).first()
        if registration is None:
            raise TicketUnknown(_("This ticket is not for this activity."))
    _lock_session(registration.session_id)  # session before registration, as everywhere
    registration = Registration.objects.select_for_update().select_related("session__activity").get(pk=registration.pk)
    require(actor, RegistrationAction.CHECK_IN, registration)
    if registration.session.activity_id != activity.pk or (
        session is not None and registration.session_id != session.pk
    ):
        raise TicketUnknown(_("This ticket is for another session."), code="ticket_other_session")
    if registration.checked_in_at:
        raise AlreadyCheckedIn(
            _("%(name)s was already checked in at %(time)s.")
            % {"name": registration.name, "time": timezone.localtime(registration.checked_in_at).strftime("%H:%M")},
        )
    if registration.status != R.CONFIRMED:
        raise Conflict(
            _("%(name)s has no confirmed place (%(status)s).")
            % {"name": registration.name, "status": registration.get_status_display()},
            code="not_confirmed",
        )
    now = clock.now()
    reason = _at_the_door(registration.session, now, late_reason)
    registration.checked_in_at = now
    registration.checked_in_by = actor.user
    registration.late_entry_reason = reason
    registration.save(update_fields=["checked_in_at", "checked_in_by", "late_entry_reason", "updated_at"])
    _tally(
        registration.session_id,
        checked_in=registration.head_count,
        population=registration.population,
        attended=registration.head_count,
    )
    if reason:
        log_action(
            actor,
            "kepu.activities.registration.checked_in_late",
            registration,
            place=activity.place,
            data={"reason": reason},
        )
    else:
        log_action(actor, "kepu.activities.registration.checked_in", registration, place=activity.place)
    if registration.session.surveys_sent_at is not None:
        # Counted after the invitations went out: invited now, like the others were at the end.
        transaction.on_commit(lambda: _invite_to_survey([registration]))
    return registration


def check_in_late(*, actor: Actor, activity: Activity, registration: Registration, reason: str) -> Registration:
    """补登: count someone the door missed, once the session has begun, with the reason (audited)."""
    return check_in(actor=actor, activity=activity, registration=registration, late_reason=reason or "")


@transaction.atomic
def walk_in_record(
    *, actor: Actor, session: Session, head_count: int, population: str, late_reason: str | None = None
) -> WalkIn:
    """Count people who came without signing up, at the door (or afterwards as a late entry with a reason)."""
    require(actor, ActivityAction.MANAGE, session.activity)
    if head_count < 1 or head_count > 10000:
        raise DomainError(_("Enter a head count between 1 and 10000."), code="head_count_invalid")
    if population not in Population.values:
        raise DomainError(_("Choose a population."), code="population_invalid")
    session = _lock_session(session.pk)
    reason = _at_the_door(session, clock.now(), late_reason)
    walk_in = WalkIn.objects.create(
        session=session,
        head_count=head_count,
        population=population,
        recorded_by=actor.user,
        late_entry_reason=reason,
    )
    _tally(session.pk, walk_ins=head_count, population=population, attended=head_count)
    log_action(
        actor,
        "kepu.activities.walk_in_late" if reason else "kepu.activities.walk_in",
        session.activity,
        data={
            "session": session.pk,
            "head_count": head_count,
            "population": population,
            **({"reason": reason} if reason else {}),
        },
    )
    return walk_in


class CheckinListInvalid(DomainError):
    """A check-in list that cannot be applied; ``errors`` says why, row by row (nothing was saved)."""

    code = "import_rows_invalid"

    def __init__(self, errors: list[str]):
        self.errors = errors
        shown = errors[:20]
        more = len(errors) - len(shown)
        text = " ".join(shown) + (" " + _("(%(n)s more)") % {"n": more} if more else "")
        super().__init__(text, data={"errors": errors})


@dataclass
class CheckinImport:
    checked_in: int = 0  # people (registrations) checked in by this import
    already: int = 0  # marked on the list and checked in before (a second import of the same file)
    walk_ins: int = 0  # head count of walk-ins added
    walk_ins_already_counted: bool = False


def _sheet_key_used(session: Session, key: str) -> dict:
    """The walk-ins an earlier import of the list ``key`` counted, by population (empty if none)."""
    counted: dict = {}
    for population, n in WalkIn.objects.filter(session=session, sheet_key=key).values_list("population", "head_count"):
        counted[population] = counted.get(population, 0) + n
    return counted


@transaction.atomic
def checkin_sheet_export(*, actor: Actor, activity: Activity, session: Session) -> bytes:
    """The check-in list of one session as an Excel workbook, for the door when there is no network."""
    from kepu.activities import checkin_sheet

    require(actor, ActivityAction.MANAGE, activity)
    if session.activity_id != activity.pk:
        raise TicketUnknown(_("This session is not one of this activity's."), code="session_unknown")
    registrations = session.registrations.filter(status=R.CONFIRMED).select_related("user").order_by("name", "pk")
    key = secrets.token_urlsafe(9)
    content = checkin_sheet.build(activity=activity, session=session, registrations=registrations, key=key)
    # The file carries masked personal data out of the platform: who took it is recorded.
    log_action(actor, "kepu.activities.checkin_list_exported", activity, data={"session": session.pk, "sheet": key})
    return content


def checkin_sheet_import(
    *, actor: Actor, activity: Activity, content: bytes, late_reason: str | None = None
) -> CheckinImport:
    """Apply a marked check-in list: every row is checked first, and one bad row saves nothing.

    Importing the same file again checks nobody in twice and counts its walk-ins once; a
    cleared mark does not undo a check-in made earlier.
    """
    require(actor, ActivityAction.MANAGE, activity)
    # Parse before the transaction: on SQLite it holds the database's write lock from its first
    # statement, and unpacking a workbook must not make every other write wait.
    sheet = _checkin_sheet_read(content, activity)
    with transaction.atomic():
        session = _lock_session(_checkin_sheet_session(sheet, activity).pk)  # the session before its registrations
        # A list brought back after the session is a late entry: the office says why, and it is audited.
        reason = _at_the_door(session, clock.now(), late_reason or None)
        plan = _checkin_sheet_validate(sheet, activity, session)
        return _checkin_sheet_apply(
            actor=actor, activity=activity, session=session, sheet=sheet, plan=plan, reason=reason
        )


def _checkin_sheet_read(content: bytes, activity: Activity) -> Sheet:
    """Parse: the workbook as a ``checkin_sheet.Sheet``, refused unless it is a list exported for ``activity``."""
    from kepu.activities import checkin_sheet

    try:
        sheet = checkin_sheet.read(content)
    except checkin_sheet.SheetUnreadable:
        raise DomainError(
            _("The file is not a check-in list exported from this page (an .xlsx file)."), code="import_format"
        ) from None
    if sheet.activity_id != activity.pk:
        raise DomainError(_("This check-in list is for another activity."), code="import_other_activity")
    return sheet


def _checkin_sheet_session(sheet: Sheet, activity: Activity) -> Session:
    """The session the list was exported for, if it is still one of ``activity``'s."""
    session = Session.objects.filter(pk=sheet.session_id, activity=activity).first()
    if session is None:
        raise DomainError(_("This check-in list is for a session that no longer exists."), code="import_other_activity")
    return session


@dataclass
class _CheckinPlan:
    """What a valid list changes: the registrations marked present and the walk-ins by population."""

    present: list[Registration]
    walk_ins: dict[str, int]
    counted_before: dict | None  # the walk-ins an earlier import of the same list counted; None if it counted none


def _checkin_sheet_validate(sheet: Sheet, activity: Activity, session: Session) -> _CheckinPlan:
    """Validate: every row of the list and of the walk-ins; raises ``CheckinListInvalid`` with every error."""
    errors: list[str] = []
    present = _checkin_marks(sheet, activity, session, errors)
    walk_ins = _checkin_walk_ins(sheet, errors)
    before = _sheet_key_used(session, sheet.key[:20]) or None  # an import that counted no walk-ins counted nothing
    if before is not None and before != walk_ins:
        errors.append(
            _(
                "Walk-ins: this list was imported before with other walk-in counts; the walk-ins are "
                "not counted twice. Add the difference on the check-in page."
            )
        )
    if errors:
        raise CheckinListInvalid(errors)
    return _CheckinPlan(present=present, walk_ins=walk_ins, counted_before=before)


def _checkin_marks(sheet: Sheet, activity: Activity, session: Session, errors: list[str]) -> list[Registration]:
    """The registrations (locked) marked present on the list; every row that cannot be applied adds its error."""
    from kepu.activities import checkin_sheet

    tickets = [row.ticket for row in sheet.rows if row.ticket]
    found = {
        r.ticket_code: r
        for r in Registration.objects.select_for_update()
        .filter(session__activity=activity, ticket_code__in=tickets)
        .order_by("pk")
    }
    present: list[Registration] = []
    seen: dict[str, int] = {}
    for row in sheet.rows:
        came = checkin_sheet.is_present(row.mark)
        reg = found.get(row.ticket)
        error = _checkin_row_error(row, reg, came, seen.get(row.ticket), session)
        if error:
            errors.append(error)
        elif came:
            present.append(reg)
        if row.ticket:
            seen.setdefault(row.ticket, row.line)
    return present


def _checkin_row_error(
    row: SheetRow, reg: Registration | None, came: bool | None, other_line: int | None, session: Session
) -> str | None:
    """Why one row of the list cannot be applied, or None. ``other_line``: an earlier row with the same ticket."""
    from kepu.activities import checkin_sheet

    if not row.ticket:
        return _("Row %(line)s: the ticket code is missing.") % {"line": row.line}
    if other_line is not None:
        return _("Row %(line)s: ticket %(code)s is on the list twice (also row %(other)s).") % {
            "line": row.line,
            "code": row.ticket,
            "other": other_line,
        }
    if reg is None:
        return _("Row %(line)s: ticket %(code)s is not for this activity.") % {"line": row.line, "code": row.ticket}
    if reg.session_id != session.pk:
        return _("Row %(line)s: ticket %(code)s is for another session.") % {"line": row.line, "code": row.ticket}
    if came is None:
        return _('Row %(line)s: "%(mark)s" is not a mark; write 1 for someone who came, or leave it empty.') % {
            "line": row.line,
            "mark": row.mark[:20],
        }
    if came and reg.status != R.CONFIRMED and reg.checked_in_at is None:
        return _("Row %(line)s: %(name)s has no confirmed place any more (%(status)s).") % {
            "line": row.line,
            "name": checkin_sheet.mask_name(reg.name),
            "status": reg.get_status_display(),
        }
    return None


def _checkin_walk_ins(sheet: Sheet, errors: list[str]) -> dict[str, int]:
    """The walk-ins counted on the list, by population; every row that cannot be read adds its error."""
    from kepu.activities import checkin_sheet

    walk_ins: dict[str, int] = {}
    for row in sheet.walk_ins:
        n = checkin_sheet.walk_in_count(row.raw)
        if row.population not in Population.values:
            errors.append(_("Walk-ins, row %(line)s: the population column was changed.") % {"line": row.line})
        elif n is None:
            errors.append(_("Walk-ins, row %(line)s: write a whole number from 0 to 10000.") % {"line": row.line})
        elif n:
            walk_ins[row.population] = walk_ins.get(row.population, 0) + n
    return walk_ins


def _checkin_sheet_apply(
    *, actor: Actor, activity: Activity, session: Session, sheet: Sheet, plan: _CheckinPlan, reason: str
) -> CheckinImport:
    """Apply a validated list: check in those not yet checked in, count the walk-ins once, audit, signal on commit."""
    result = CheckinImport(walk_ins_already_counted=plan.counted_before is not None)
    now = clock.now()
    newly = []
    for reg in plan.present:
        if reg.checked_in_at is not None:
            result.already += 1
            continue
        newly.append(reg)
        reg.checked_in_at = now
        reg.checked_in_by = actor.user
        reg.late_entry_reason = reason
        reg.save(update_fields=["checked_in_at", "checked_in_by", "late_entry_reason", "updated_at"])
        _tally(session.pk, checked_in=reg.head_count, population=reg.population, attended=reg.head_count)
        result.checked_in += 1
        log_action(
            actor,
            "kepu.activities.registration.checked_in_late" if reason else "kepu.activities.registration.checked_in",
            reg,
            place=activity.place,
            data={"from": "list", **({"reason": reason} if reason else {})},
        )
    if plan.counted_before is None:
        for population, n in plan.walk_ins.items():
            WalkIn.objects.create(
                session=session,
                head_count=n,
                population=population,
                recorded_by=actor.user,
                sheet_key=sheet.key[:20],
                late_entry_reason=reason,
            )
            _tally(session.pk, walk_ins=n, population=population, attended=n)
            result.walk_ins += n
    log_action(
        actor,
        "kepu.activities.checkin_imported",
        activity,
        data={
            "session": session.pk,
            "sheet": sheet.key,
            "checked_in": result.checked_in,
            "walk_ins": plan.walk_ins,
            **({"late_entry_reason": reason} if reason else {}),
        },
    )
    if session.surveys_sent_at is not None:
        transaction.on_commit(lambda: _invite_to_survey(newly))
    return result
