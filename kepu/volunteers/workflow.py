"""The state machines of volunteering, declared with ``kepu.core.workflow``.

Join request: pending → approved (the volunteer becomes a member) or rejected with a reason.
Sign-up for a need: applied → confirmed, or standby when the places are full (→ confirmed when a
place frees), or rejected; the volunteer may withdraw until signed in.
Hours report: pending → approved (the minutes are credited) or rejected with a reason.
Import job: queued → running → done, or failed (a bad row or an unreadable file: nothing imported), or
interrupted (the worker stopped or the database was busy: nothing imported), which its uploader may queue again.

The services hold the locks and do what follows a move (memberships, the ledger, standby moving
up), so they ``check`` and ``move`` here inside their transactions.
"""

from __future__ import annotations

from django.utils.translation import gettext_lazy as _

from kepu.core.actor import Actor
from kepu.core.roles import Role
from kepu.core.workflow import Transition, Workflow, nobody
from kepu.volunteers.models import (
    HoursReport,
    ImportJob,
    ImportStatus,
    JoinRequest,
    JoinStatus,
    ReportStatus,
    SignUp,
    SignUpStatus,
)

ORG_STAFF = frozenset({Role.VOLUNTEER_ORG_STAFF})
ALL_ROLES = frozenset(Role)


def org_staff(actor: Actor, obj) -> bool:
    """Staff of the organization the request, report or need belongs to."""
    organization_id = obj.need.organization_id if isinstance(obj, SignUp) else obj.organization_id
    return actor.role == Role.VOLUNTEER_ORG_STAFF and actor.organization_id == organization_id


def the_volunteer(actor: Actor, obj) -> bool:
    return actor.user_id is not None and obj.volunteer.user_id == actor.user_id


def not_signed_in(signup: SignUp) -> bool:
    return signup.signed_in_at is None


JOIN = Workflow(
    "join_request",
    model=JoinRequest,
    audit_prefix="kepu.volunteers.join",
    audit_place=lambda jr: jr.organization.place,
    transitions=[
        Transition("approve", _("Approve"), {JoinStatus.PENDING}, JoinStatus.APPROVED, ORG_STAFF, org_staff),
        Transition("reject", _("Reject"), {JoinStatus.PENDING}, JoinStatus.REJECTED, ORG_STAFF, org_staff,
                   needs_reason=True, negative=True),
    ],
)  # fmt: skip

SIGNUP = Workflow(
    "signup",
    model=SignUp,
    audit_prefix="kepu.volunteers.signup",
    audit_place=lambda signup: signup.need.place,
    transitions=[
        Transition("confirm", _("Confirm"), {SignUpStatus.APPLIED, SignUpStatus.STANDBY}, None, ORG_STAFF, org_staff,
                   targets={SignUpStatus.CONFIRMED, SignUpStatus.STANDBY}),
        Transition("reject", _("Decline"), {SignUpStatus.APPLIED, SignUpStatus.STANDBY}, SignUpStatus.REJECTED,
                   ORG_STAFF, org_staff, negative=True),
        Transition("withdraw", _("Withdraw"), {SignUpStatus.APPLIED, SignUpStatus.CONFIRMED, SignUpStatus.STANDBY},
                   SignUpStatus.WITHDRAWN, ALL_ROLES, the_volunteer, when=not_signed_in, negative=True),
        # A withdrawn volunteer may apply again.
        Transition("reapply", _("Sign up again"), {SignUpStatus.WITHDRAWN}, SignUpStatus.APPLIED, ALL_ROLES,
                   the_volunteer),
        # The first volunteer on standby takes a place that a confirmed volunteer gave up.
        Transition("move_up", _("Moved up from standby"), {SignUpStatus.STANDBY}, SignUpStatus.CONFIRMED,
                   party=nobody, system=True),
    ],
)  # fmt: skip

REPORT = Workflow(
    "hours_report",
    model=HoursReport,
    audit_prefix="kepu.volunteers.report",
    audit_place=lambda report: report.organization.place,
    transitions=[
        Transition("approve", _("Approve"), {ReportStatus.PENDING}, ReportStatus.APPROVED, ORG_STAFF, org_staff),
        Transition("reject", _("Reject"), {ReportStatus.PENDING}, ReportStatus.REJECTED, ORG_STAFF, org_staff,
                   needs_reason=True, negative=True),
    ],
)  # fmt: skip


def the_uploader(actor: Actor, job: ImportJob) -> bool:
    """The person who uploaded the file, acting for the organization it was imported into."""
    return (
        actor.user_id is not None
        and job.created_by_id == actor.user_id
        and job.organization_id == (actor.organization_id)
    )


IMPORT = Workflow(
    "import_job",
    model=ImportJob,
    audit_prefix="kepu.volunteers.import",
    transitions=[
        Transition("start", _("Started"), {ImportStatus.QUEUED, ImportStatus.RUNNING}, ImportStatus.RUNNING,
                   party=nobody, system=True),
        Transition("finish", _("Finished"), {ImportStatus.RUNNING}, None, party=nobody, system=True,
                   targets={ImportStatus.DONE, ImportStatus.FAILED}),
        Transition("fail", _("Failed"), {ImportStatus.QUEUED, ImportStatus.RUNNING}, ImportStatus.FAILED,
                   party=nobody, system=True, negative=True),
        Transition("interrupt", _("Interrupted"), {ImportStatus.QUEUED, ImportStatus.RUNNING},
                   ImportStatus.INTERRUPTED, party=nobody, system=True, negative=True),
        Transition("rerun", _("Run again"), {ImportStatus.INTERRUPTED}, ImportStatus.QUEUED, ALL_ROLES,
                   the_uploader, audit="kepu.volunteers.import_rerun"),
    ],
)  # fmt: skip
