"""What the activities services share: errors, the session lock and the attendance tally."""

from __future__ import annotations

from django.db.models import F

from kepu.activities import rollup
from kepu.activities.models import ATTENDANCE_FIELDS, FiguresMonth, FiguresMonthDistrict, RegistrationStatus, Session
from kepu.core.errors import Conflict, DomainError

R = RegistrationStatus
ROLLUPS = (FiguresMonth, FiguresMonthDistrict)


class ActivityError(DomainError):
    code = "activity_invalid"


class RegistrationClosed(DomainError):
    code = "registration_closed"


class AlreadyRegistered(Conflict):
    code = "already_registered"


class OfferExpired(Conflict):
    code = "offer_expired"


class AlreadyCheckedIn(Conflict):
    code = "already_checked_in"


class TicketUnknown(DomainError):
    code = "ticket_unknown"
    status = 404


# --- Figures kept on the session --------------------------------------------------------------------
def _tally(
    session_id: int,
    *,
    registered: int = 0,
    checked_in: int = 0,
    walk_ins: int = 0,
    population: str | None = None,
    attended: int = 0,
    survey: int | None = None,
) -> None:
    """Move a session's figures and its roll-up row by the same amounts; callers hold the session's lock."""
    delta = {}
    if registered:
        delta["registered"] = registered
    if checked_in:
        delta["checked_in"] = checked_in
    if walk_ins:
        delta["walk_in_count"] = walk_ins
    if attended and population in ATTENDANCE_FIELDS:
        delta[ATTENDANCE_FIELDS[population]] = attended
    if survey is not None:
        delta["survey_sum"] = survey
        delta["survey_count"] = 1
    if not delta:
        return
    Session.objects.filter(pk=session_id).update(**{f: F(f) + v for f, v in delta.items()})
    row = Session.objects.filter(pk=session_id).values(*rollup.SESSION_VALUES).first()
    if row and row["counted"] and not row["is_cancelled"]:
        if "walk_in_count" in delta:
            delta["walk_ins"] = delta.pop("walk_in_count")
        rollup.add(ROLLUPS, rollup.session_key(row), delta)


#: Characters that are never text (C0 controls but tab and newlines, DEL, C1): they break exports and pages.
_CONTROL = dict.fromkeys([*range(0x00, 0x09), 0x0B, 0x0C, *range(0x0E, 0x20), *range(0x7F, 0xA0)])


def _lock_session(session_id: int) -> Session:
    return Session.objects.select_for_update().select_related("activity").get(pk=session_id)
