"""Approval level by level, declared once with ``kepu.core.workflow`` (one machine for every form).

States, after DHIS2's data approval: 未提交 ``draft`` → 已提交 ``submitted`` → 已审核 ``accepted`` (accepted
at the level above the form) → 已上报 ``reported`` (approved above that: the city accepted the
district's table that contains it); 已退回 ``returned``, with a reason, is open again like a draft.

The levels: a unit's form (member unit, street or town office, science base, the district office's
own) is submitted by its staff and accepted or sent back by the district office; the district's
table is submitted by the district office and accepted or sent back by the city office. The level
rules are the machine's conditions:

* the district submits its table only when every unit form below it is accepted (``all_units_accepted``);
* while the district's table is submitted or accepted, the forms below it are locked: nobody sends
  one back (``district_open``), and nothing in them changes (``services.check_open``);
* the city's acceptance reports every form below (``accepted`` → ``reported``, a system move), and
  sending the district's table back undoes that (``reported`` → ``accepted``), so the district can
  then send back the forms it must correct: unlocking is always an audited act of the level above.

A form is submitted only when no error rule fails, every warning is explained and every figure is
filled (``ready``, the submit guard).
"""

from __future__ import annotations

from django.utils.translation import gettext_lazy as _
from django.utils.translation import ngettext

from kepu.core.actor import SYSTEM, Actor
from kepu.core.audit import log_action
from kepu.core.roles import Role
from kepu.core.workflow import Step, Transition, Workflow, nobody
from kepu.core.workflow import WrongState as MovedOn
from kepu.statistics.models import OPEN_STATES, Report, ReportLevel, ReportStatus
from kepu.statistics.units import FILER_ROLE, FILER_ROLES

S = ReportStatus


class WrongState(MovedOn):
    code = "report_state"
    default_message = _("This form has moved on meanwhile. Reload the page to see where it stands.")


# --- Parties ------------------------------------------------------------------------------------
def is_filer(actor: Actor, report: Report) -> bool:
    """The staff of the unit that files the form (the district office for its own form and its table)."""
    if report.level == ReportLevel.DISTRICT:
        return actor.role == Role.DISTRICT_ADMIN and actor.organization_id == report.organization_id
    return actor.role == FILER_ROLE.get(report.kind) and actor.organization_id == report.organization_id


def is_reviewer(actor: Actor, report: Report) -> bool:
    """The level above: the district office of the form's district, or the city office for a district's table."""
    if report.level == ReportLevel.DISTRICT:
        return actor.role == Role.CITY_ADMIN
    return actor.role == Role.DISTRICT_ADMIN and actor.place is not None and actor.place.pk == report.district_id


# --- Level rules --------------------------------------------------------------------------------
def district_table_of(report: Report) -> Report | None:
    return Report.objects.filter(district_id=report.district_id, year=report.year, level=ReportLevel.DISTRICT).first()


def district_open(report: Report) -> bool:
    """A unit's form can move only while its district's table is open (not submitted, not accepted)."""
    if report.level == ReportLevel.DISTRICT:
        return True
    table = district_table_of(report)
    return table is None or table.status in OPEN_STATES


def units_of(report: Report):
    return Report.objects.filter(district_id=report.district_id, year=report.year, level=ReportLevel.UNIT)


def ready(report: Report):
    """Why the form cannot be submitted yet (the submit guard), or None."""
    from kepu.statistics.selectors import form_check

    if report.level == ReportLevel.DISTRICT:
        waiting = units_of(report).exclude(status=S.ACCEPTED).count()
        if waiting:
            return ngettext(
                "%(n)s unit form is not accepted yet: the district submits when every form below it is accepted.",
                "%(n)s unit forms are not accepted yet: the district submits when every form below it is accepted.",
                waiting,
            ) % {"n": waiting}
    check = form_check(report)
    if check.blocking:
        return check.blocking
    return None


# --- What each transition changes --------------------------------------------------------------
def _submitted(step: Step) -> None:
    step.put("submitted_at", step.now)
    step.put("submitted_by", step.actor.user)
    step.put("return_reason", "")


def _reviewed(step: Step) -> None:
    step.put("reviewed_at", step.now)
    step.put("reviewed_by", step.actor.user)
    if step.transition.name == "send_back":
        step.put("return_reason", step.reason)


def _cascade(step: Step, name: str) -> None:
    """Move the unit forms below a district's table with it (the system's move, audited on each form)."""
    report = step.obj
    if report.level != ReportLevel.DISTRICT:
        return
    source = REPORT[name].sources
    moved = []
    for child in units_of(report).select_for_update().filter(status__in=source).order_by("pk"):
        from_state, to_state = REPORT.move(actor=SYSTEM, obj=child, name=name)
        child.save(update_fields=["status", "updated_at"])
        log_action(None, REPORT.audit_code(name), child, data={"from": from_state, "to": to_state})
        moved.append(child.pk)
    step.event["forms"] = len(moved)


def _accepted(step: Step) -> None:
    _reviewed(step)
    _cascade(step, "report")


def _sent_back(step: Step) -> None:
    _reviewed(step)
    _cascade(step, "reopen")


def _recalled(step: Step) -> None:
    step.put("submitted_at", None)
    step.put("submitted_by", None)


FILERS = FILER_ROLES | {Role.DISTRICT_ADMIN}

REPORT = Workflow(
    "statistics_report",
    model=Report,
    audit_prefix="kepu.statistics.report",
    audit_place=lambda r: r.district,
    wrong_state=WrongState,
    transitions=[
        Transition("submit", _("Submit"), {S.DRAFT, S.RETURNED}, S.SUBMITTED, FILERS, is_filer,
                   when=district_open, guard=ready, apply=_submitted),
        Transition("recall", _("Take back to correct"), {S.SUBMITTED}, S.DRAFT, FILERS, is_filer,
                   when=district_open, needs_reason=True, negative=True, apply=_recalled),
        Transition("accept", _("Accept the form"), {S.SUBMITTED}, S.ACCEPTED, {Role.DISTRICT_ADMIN, Role.CITY_ADMIN},
                   is_reviewer, apply=_accepted),
        Transition("send_back", _("Send back"), {S.SUBMITTED, S.ACCEPTED}, S.RETURNED,
                   {Role.DISTRICT_ADMIN, Role.CITY_ADMIN}, is_reviewer, when=district_open, needs_reason=True,
                   negative=True, apply=_sent_back),
        # The city accepted the district's table: the forms below it are approved above.
        Transition("report", _("Approved above"), {S.ACCEPTED}, S.REPORTED, party=nobody, system=True),
        # The city sent the district's table back: the forms below are the district's to send back again.
        Transition("reopen", _("Reopened above"), {S.REPORTED}, S.ACCEPTED, party=nobody, system=True),
    ],
)  # fmt: skip
