"""The three state machines of emergency communication, declared with ``kepu.core.workflow``.

* A pack: being prepared → approved (by its office, until a review date) → past its review date (the platform,
  when the date passes); an approved or expired pack goes back to preparation to be changed.
* An event: received (from the warning feed) → declared (by the office, or by the platform for a feed warning
  whose pack is current) → closed with a review; a received warning may be dismissed with a reason. A declaration
  made on the office's form goes through the same ``declare`` transition.
* A call of an expert of the emergency team: called → on duty, or declined (with a reason), or missed (the
  platform, when the deadline passed); released when the event closes.
"""

from __future__ import annotations

from datetime import timedelta

from django import forms
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from kepu.core import clock
from kepu.core.actor import Actor
from kepu.core.roles import Role
from kepu.core.workflow import Step, Transition, TransitionForm, Workflow, nobody
from kepu.emergency.models import CallStatus, Event, EventStatus, OnCall, Pack, PackStatus
from kepu.emergency.permissions import OFFICES, runs

P, E, C = PackStatus, EventStatus, CallStatus


def today():
    return timezone.localtime(clock.now()).date()


# --- Packs ---------------------------------------------------------------------------------------------
def owns_pack(actor: Actor, pack: Pack) -> bool:
    return runs(actor, pack.place_path)


class ApproveForm(TransitionForm):
    review_by = forms.DateField(
        label=_("Review again by"),
        widget=forms.DateInput(attrs={"type": "date"}),
        help_text=_("After this date the pack is not sent without a reason (at most two years ahead)."),
        error_messages={"required": _("Say by when the pack must be reviewed again.")},
    )

    def clean_review_by(self):
        value = self.cleaned_data["review_by"]
        if value <= today():
            raise forms.ValidationError(_("The review date must be in the future."), code="review_by_past")
        if value > today() + timedelta(days=731):
            raise forms.ValidationError(_("The review date is at most two years ahead."), code="review_by_far")
        return value


def pack_incomplete(pack: Pack):
    from kepu.emergency.services import pack_problems

    problems = pack_problems(pack)
    return problems[0] if problems else None


def _approve(step: Step) -> None:
    step.put("review_by", step.data["review_by"])
    step.put("approved_at", step.now)
    step.put("approved_by", step.actor.user)
    step.event["review_by"] = step.data["review_by"].isoformat()


def _revise(step: Step) -> None:
    step.put("approved_at", None)
    step.put("approved_by", None)


def past_review(pack: Pack) -> bool:
    return pack.review_by is not None and pack.review_by < today()


PACK = Workflow(
    "emergency_pack",
    model=Pack,
    audit_prefix="kepu.emergency.pack",
    transitions=[
        Transition("approve", _("Approve the pack"), {P.DRAFT}, P.APPROVED, OFFICES, owns_pack, form=ApproveForm,
                   guard=pack_incomplete, apply=_approve),
        Transition("revise", _("Change the pack"), {P.APPROVED, P.EXPIRED}, P.DRAFT, OFFICES, owns_pack,
                   apply=_revise, negative=True),
        Transition("expire", _("Past its review date"), {P.APPROVED}, P.EXPIRED, party=nobody, system=True,
                   when=past_review),
    ],
)  # fmt: skip


# --- Events --------------------------------------------------------------------------------------------
def declares(actor: Actor, event: Event) -> bool:
    """The city office, or the district office whose district holds every affected place."""
    paths = list(event.places.values_list("place_path", flat=True))
    return bool(paths) and all(runs(actor, p) for p in paths)


class DeclareForm(TransitionForm):
    override_reason = forms.CharField(
        label=_("Reason to send a pack past its review date"),
        required=False,
        max_length=500,
        widget=forms.Textarea({"rows": 2}),
        help_text=_("Only needed when the hazard's pack is past its review date; it is recorded in the audit trail."),
    )


class CloseForm(TransitionForm):
    review = forms.CharField(
        label=_("Short review"),
        max_length=4000,
        widget=forms.Textarea({"rows": 4}),
        help_text=_("What went well, what did not, what to change in the pack."),
        error_messages={"required": _("Write a short review of the event.")},
    )


def _declare(step: Step) -> None:
    from kepu.emergency.services import declaring

    declaring(step)


def _close(step: Step) -> None:
    from kepu.emergency.services import closing

    closing(step)


def _dismiss(step: Step) -> None:
    step.put("review", step.reason)


EVENT = Workflow(
    "emergency_event",
    model=Event,
    audit_prefix="kepu.emergency",
    transitions=[
        Transition("declare", _("Declare and send the guidance"), {E.RECEIVED}, E.DECLARED, OFFICES, declares,
                   form=DeclareForm, apply=_declare),
        Transition("auto_declare", _("Declared from the warning feed"), {E.RECEIVED}, E.DECLARED, party=nobody,
                   system=True, apply=_declare),
        Transition("dismiss", _("Dismiss the warning"), {E.RECEIVED}, E.DISMISSED, OFFICES, declares,
                   needs_reason=True, negative=True, apply=_dismiss),
        Transition("close", _("Close the event"), {E.DECLARED}, E.CLOSED, OFFICES, declares, form=CloseForm,
                   apply=_close),
    ],
)  # fmt: skip


# --- Calls of the expert team --------------------------------------------------------------------------
def called(actor: Actor, call: OnCall) -> bool:
    return actor.user_id is not None and call.user_id == actor.user_id


def _answered(step: Step) -> None:
    step.put("answered_at", step.now)
    if step.reason:
        step.put("reason", step.reason)


def deadline_passed(call: OnCall) -> bool:
    return call.deadline <= clock.now()


def before_deadline(call: OnCall):
    return _("The time to answer this call has passed.") if call.deadline <= clock.now() else None


CALL = Workflow(
    "emergency_call",
    model=OnCall,
    audit_prefix="kepu.emergency.call",
    transitions=[
        Transition("accept", _("Accept: I am on duty"), {C.CALLED}, C.ACCEPTED, {Role.EXPERT}, called,
                   guard=before_deadline, apply=_answered),
        Transition("decline", _("Decline the call"), {C.CALLED}, C.DECLINED, {Role.EXPERT}, called,
                   needs_reason=True, negative=True, apply=_answered),
        Transition("miss", _("No answer in time"), {C.CALLED}, C.MISSED, party=nobody, system=True,
                   when=deadline_passed),
        Transition("release", _("Released when the event closed"), {C.CALLED, C.ACCEPTED}, C.RELEASED,
                   party=nobody, system=True),
    ],
)  # fmt: skip
