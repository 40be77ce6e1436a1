"""The review of a piece (科普资源审核), declared in one place with ``kepu.core.workflow``.

draft → submitted → scientific review (an expert of the library in the piece's field, chosen by
the editor) → editorial review → published; returned with comments from any review stage (and
resubmitted by the unit); a published piece is withdrawn with a reason, or corrected: a new
version of the same piece goes through the whole review again while the old one stays public,
and when the new one is published the old one is superseded (kept, never public again).

The unit that made the piece (its staff) writes and submits it; the district office of the unit's
place (the city office for city units) edits: it chooses the expert, publishes and may withdraw.
Nobody publishes a piece they wrote or reviewed themselves.
"""

from __future__ import annotations

from django import forms
from django.db.models import Q
from django.utils.translation import gettext_lazy as _

from kepu.core.actor import SYSTEM, Actor
from kepu.core.permissions import covers
from kepu.core.roles import STAFF_ROLES, Role
from kepu.core.workflow import Step, Transition, TransitionForm, Workflow, nobody
from kepu.core.workflow import WrongState as MovedOn
from kepu.resources.models import FileRole, Kind, Loan, LoanStatus, Resource, ReviewNote, Status

S = Status

AUTHORS = frozenset(STAFF_ROLES)
EDITORS = frozenset({Role.DISTRICT_ADMIN, Role.CITY_ADMIN})
EXPERTS = frozenset({Role.EXPERT})

#: States in which a version is being written or reviewed (one at a time per piece).
OPEN_STATES = frozenset({S.DRAFT, S.SUBMITTED, S.SCIENCE_REVIEW, S.EDITORIAL_REVIEW, S.RETURNED})
#: States whose content the unit may change.
EDITABLE_STATES = frozenset({S.DRAFT, S.RETURNED})


class WrongState(MovedOn):
    code = "resource_state"
    default_message = _("This piece has moved on meanwhile. Reload the page to see where it stands.")


# --- Parties -------------------------------------------------------------------------------
def is_author_side(actor: Actor, r: Resource) -> bool:
    """Staff of the unit that made the piece."""
    return actor.role in AUTHORS and actor.organization_id is not None and actor.organization_id == r.source_unit_id


def is_editor(actor: Actor, r: Resource) -> bool:
    """The district office of the piece's unit (its area covers the unit's place), or the city office."""
    if actor.role == Role.CITY_ADMIN:
        return True
    return actor.role == Role.DISTRICT_ADMIN and covers(actor, r.place_path)


def is_publisher(actor: Actor, r: Resource) -> bool:
    """An editor who neither wrote nor reviewed this version (four eyes)."""
    return is_editor(actor, r) and actor.user_id not in (r.created_by_id, r.reviewer_id)


def is_reviewer(actor: Actor, r: Resource) -> bool:
    return actor.role == Role.EXPERT and r.reviewer_id is not None and r.reviewer_id == actor.user_id


def may_return(actor: Actor, r: Resource) -> bool:
    """The stage's reviewer sends a version back: the expert in scientific review, the editor otherwise."""
    if r.status == S.SCIENCE_REVIEW:
        return is_reviewer(actor, r) or is_editor(actor, r)
    return is_editor(actor, r)


def may_withdraw(actor: Actor, r: Resource) -> bool:
    return is_editor(actor, r) or is_author_side(actor, r)


# --- Conditions ------------------------------------------------------------------------------
def no_open_version(r: Resource) -> bool:
    """A piece is corrected one version at a time."""
    return not Resource.objects.filter(lineage_id=r.lineage_id, status__in=OPEN_STATES).exclude(pk=r.pk).exists()


def incomplete(r: Resource):
    """What a version still lacks before it can be reviewed (a message), or None."""
    from kepu.resources.models import Lesson, ResourceFile

    files = set(ResourceFile.objects.filter(resource=r, lesson__isnull=True).values_list("role", flat=True))
    if not r.topic_list or not r.population_list:
        return _("Choose at least one topic and one group the piece is for.")
    if r.kind in (Kind.VIDEO, Kind.AUDIO) and FileRole.MEDIA not in files:
        return _("Upload the video or audio file first.")
    if r.kind == Kind.VIDEO and FileRole.CAPTIONS not in files and not r.transcript.strip():
        return _("A video needs captions (a WebVTT file) or a transcript, for people who cannot hear it.")
    if r.kind == Kind.AUDIO and not r.transcript.strip():
        return _("An audio piece needs a transcript, for people who cannot hear it.")
    if r.kind == Kind.ARTICLE and not r.body.strip():
        return _("Write the text of the article first.")
    if r.kind == Kind.POSTER and not ({FileRole.IMAGE, FileRole.DOCUMENT} & files):
        return _("Upload the poster (an image or a PDF) first.")
    if r.kind == Kind.COURSE and not Lesson.objects.filter(resource=r).exists():
        return _("Add at least one lesson to the course first.")
    if r.kind == Kind.KIT and r.stock < 1:
        return _("Say how many of the exhibit or kit there are to lend.")
    return None


# --- Inputs -----------------------------------------------------------------------------------
class ReviewerForm(TransitionForm):
    """The expert who reviews the science: one of the library's experts in the piece's field."""

    reviewer = forms.TypedChoiceField(
        label=_("Expert for the scientific review"),
        coerce=int,
        error_messages={"required": _("Choose the expert who reviews the science.")},
    )

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        from kepu.volunteers.selectors import reviewers_in_field

        choices = []
        if self.obj is not None and self.obj.review_field:
            district = _district_place_id(self.obj.place_path)
            for e in reviewers_in_field(self.obj.review_field, district_id=district):
                if e.user_id == self.obj.created_by_id:
                    continue
                parts = [e.name, e.title, e.subfield, e.district.name if e.district_id else ""]
                choices.append((e.user_id, " · ".join(p for p in parts if p)))
        self.fields["reviewer"].choices = [("", _("Choose an expert"))] + choices
        if not choices:
            self.fields["reviewer"].help_text = _("The expert library has no available expert in this field.")


class CommentForm(TransitionForm):
    comment = forms.CharField(
        label=_("Comment (optional)"), required=False, max_length=2000, widget=forms.Textarea({"rows": 2})
    )


def _district_place_id(place_path: str) -> int | None:
    from kepu.places.selectors import place_by_path

    parts = [p for p in (place_path or "").split("/") if p]
    if len(parts) < 2:
        return None
    place = place_by_path("/".join(parts[:2]) + "/")
    return place.pk if place else None


# --- Apply functions ------------------------------------------------------------------------------
def _note(step: Step, text: str) -> None:
    ReviewNote.objects.create(
        resource=step.obj,
        stage=step.from_state,
        action=step.transition.name,
        author=step.actor.user,
        author_role=step.actor.role or "",
        text=(text or "").strip()[:2000],
    )


def _submit(step: Step) -> None:
    step.put("submitted_at", step.now)
    step.put("reviewer", None)


def _assign(step: Step) -> None:
    from kepu.volunteers.selectors import expert_in_field

    reviewer = step.data["reviewer"]
    if not expert_in_field(reviewer, step.obj.review_field) or reviewer == step.obj.created_by_id:
        from kepu.core.workflow import InputInvalid

        raise InputInvalid(
            _("Choose an available expert of the library in this field."),
            code="reviewer_invalid",
            data={"fields": {"reviewer": [str(_("Choose an available expert of the library in this field."))]}},
        )
    step.put("reviewer_id", reviewer)
    step.event["reviewer"] = reviewer
    if step.reason:
        _note(step, step.reason)


def _approve_science(step: Step) -> None:
    _note(step, step.data.get("comment", ""))


def _publish(step: Step) -> None:
    r = step.obj
    older = list(
        Resource.objects.select_for_update().filter(lineage_id=r.lineage_id, status=S.PUBLISHED).exclude(pk=r.pk)
    )
    for old in older:
        SUPERSEDE.move(actor=SYSTEM, obj=old, name="supersede")
        old.save(update_fields=["status", "updated_at"])
    step.put("published_at", step.now)
    step.put("published_by", step.actor.user)
    step.event["superseded"] = [o.pk for o in older]
    step.memo["superseded"] = older
    _note(step, step.data.get("comment", ""))


def _return(step: Step) -> None:
    _note(step, step.reason)


def _withdraw(step: Step) -> None:
    step.put("withdrawn_at", step.now)
    step.put("withdraw_reason", step.reason)
    _note(step, step.reason)


def _correct(step: Step) -> None:
    from kepu.resources.services import copy_version

    new = copy_version(step.obj, actor=step.actor)
    step.event["new_version"] = new.pk
    step.obj.correction = new


REVIEW = Workflow(
    "resource",
    model=Resource,
    audit_prefix="kepu.resources",
    wrong_state=WrongState,
    transitions=[
        Transition("submit", _("Submit for review"), {S.DRAFT, S.RETURNED}, S.SUBMITTED, AUTHORS, is_author_side,
                   guard=incomplete, apply=_submit),
        Transition("assign", _("Send to an expert"), {S.SUBMITTED}, S.SCIENCE_REVIEW, EDITORS, is_editor,
                   form=ReviewerForm, apply=_assign),
        Transition("reassign", _("Choose another expert"), {S.SCIENCE_REVIEW}, None, EDITORS, is_editor,
                   form=ReviewerForm, apply=_assign, needs_reason=True, negative=True),
        Transition("approve_science", _("The science is sound"), {S.SCIENCE_REVIEW}, S.EDITORIAL_REVIEW, EXPERTS,
                   is_reviewer, form=CommentForm, apply=_approve_science),
        Transition("publish", _("Publish"), {S.EDITORIAL_REVIEW}, S.PUBLISHED, EDITORS, is_publisher,
                   form=CommentForm, apply=_publish),
        Transition("return", _("Return with comments"), {S.SUBMITTED, S.SCIENCE_REVIEW, S.EDITORIAL_REVIEW},
                   S.RETURNED, EDITORS | EXPERTS, may_return, needs_reason=True, negative=True, apply=_return),
        Transition("withdraw", _("Withdraw from the library"), {S.PUBLISHED}, S.WITHDRAWN, EDITORS | AUTHORS,
                   may_withdraw, needs_reason=True, negative=True, apply=_withdraw),
        Transition("correct", _("Correct (write a new version)"), {S.PUBLISHED, S.WITHDRAWN}, None,
                   EDITORS | AUTHORS, lambda a, r: is_author_side(a, r) or is_editor(a, r), when=no_open_version,
                   apply=_correct),
        # Made by the emergency app's check when a fast-track review's deadline passed without a decision.
        Transition("escalate", _("Passed to another expert (review deadline missed)"), {S.SCIENCE_REVIEW}, None,
                   party=nobody, system=True, form=ReviewerForm, apply=_assign, negative=True),
        # Made by ``publish`` of a newer version of the same piece: the old one is kept, never public again.
        Transition("supersede", _("Replaced by a corrected version"), {S.PUBLISHED}, S.SUPERSEDED, party=nobody,
                   system=True),
    ],
)  # fmt: skip

SUPERSEDE = REVIEW

NEGATIVE = frozenset(t.name for t in REVIEW if t.negative)

#: Who has something to do with a version in each state (for the pages' "waiting for" line).
WAITING_FOR = {
    S.DRAFT: _("the unit to submit it"),
    S.SUBMITTED: _("the editor to choose an expert"),
    S.SCIENCE_REVIEW: _("the expert's scientific review"),
    S.EDITORIAL_REVIEW: _("the editor's review"),
    S.RETURNED: _("the unit to revise and resubmit it"),
}


def open_version_q() -> Q:
    return Q(status__in=OPEN_STATES)


# --- Loans of exhibits and kits (借用) ----------------------------------------------------------
def is_lender(actor: Actor, loan) -> bool:
    return is_author_side(actor, loan.resource)


def is_borrower(actor: Actor, loan) -> bool:
    return actor.role in AUTHORS and actor.organization_id is not None and actor.organization_id == loan.borrower_id


def _lend(step: Step) -> None:
    from kepu.core.errors import Conflict

    root = Resource.objects.select_for_update().get(pk=step.obj.resource_id)
    if root.stock - root.on_loan < step.obj.quantity:
        raise Conflict(
            _("Only %(n)s are available now.") % {"n": max(root.stock - root.on_loan, 0)}, code="loan_unavailable"
        )
    Resource.objects.filter(pk=root.pk).update(on_loan=root.on_loan + step.obj.quantity)
    step.put("lent_at", step.now)


def _returned(step: Step) -> None:
    root = Resource.objects.select_for_update().get(pk=step.obj.resource_id)
    Resource.objects.filter(pk=root.pk).update(on_loan=max(root.on_loan - step.obj.quantity, 0))
    step.put("returned_at", step.now)


def _loan_reason(step: Step) -> None:
    step.put("reason", step.reason)


L = LoanStatus

LOAN = Workflow(
    "loan",
    model=Loan,
    audit_prefix="kepu.resources.loan",
    transitions=[
        Transition("lend", _("Lend"), {L.REQUESTED}, L.LENT, AUTHORS, is_lender, apply=_lend),
        Transition("refuse", _("Refuse the loan"), {L.REQUESTED}, L.REFUSED, AUTHORS, is_lender, needs_reason=True,
                   negative=True, apply=_loan_reason),
        Transition("cancel", _("Cancel the request"), {L.REQUESTED}, L.CANCELLED, AUTHORS, is_borrower,
                   needs_reason=True, negative=True, apply=_loan_reason),
        Transition("give_back", _("Record the return"), {L.LENT}, L.RETURNED, AUTHORS, is_lender, apply=_returned),
    ],
)  # fmt: skip
