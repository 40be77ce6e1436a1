"""The two state machines of activities, declared with ``kepu.core.workflow``.

Activity: draft → (in_review →) published → cancelled; a district that requires review sends
submissions to its office, which approves or sends them back with a reason (rejected → draft
again by editing and submitting). Offices publish directly.

Registration: a sign-up lands in ``pending`` (approval needed), ``confirmed`` (a place was free)
or ``waiting``. When a place frees, the first in line whose head count fits is ``offered`` the
place for ``Activity.offer_hours``; they accept (→ confirmed) or the offer lapses (→ lapsed, made
by the platform) and passes on. Anybody alive may cancel until they are checked in. Places are
held by confirmed and offered registrations only. The services that move registrations hold the
session's lock and keep its tallies, so they ``check`` and ``move`` here inside their transaction.
"""

from __future__ import annotations

from django.utils.translation import gettext_lazy as _

from kepu.activities.models import Activity, Registration
from kepu.activities.models import ActivityStatus as A
from kepu.activities.models import RegistrationStatus as R
from kepu.activities.permissions import manages
from kepu.core.actor import Actor
from kepu.core.errors import DomainError
from kepu.core.permissions import covers
from kepu.core.roles import STAFF_ROLES, Role
from kepu.core.workflow import Step, Transition, Workflow, nobody

ALL_ROLES = frozenset(Role)
OFFICES = frozenset({Role.DISTRICT_ADMIN, Role.CITY_ADMIN})


def reviews(actor: Actor, activity: Activity) -> bool:
    """The district office of the activity's place, or the city office."""
    return actor.is_city or (actor.role == Role.DISTRICT_ADMIN and covers(actor, activity.place_path))


def without_sessions(activity: Activity):
    if activity.sessions.filter(is_cancelled=False).exists():
        return None
    return DomainError(_("Add at least one session before publishing."), code="no_sessions")


def review_required(activity: Activity) -> bool:
    from kepu.activities.models import DistrictActivitySettings

    return DistrictActivitySettings.objects.filter(district__code=activity.district_code, review_required=True).exists()


def _submit(step: Step) -> None:
    """Publish, or send to the district office when the district requires review (offices publish directly)."""
    activity = step.obj
    needs_review = review_required(activity) and not reviews(step.actor, activity)
    step.to_state = A.IN_REVIEW if needs_review else A.PUBLISHED


def _note(step: Step) -> None:
    step.put("review_note", step.reason[:300])


def _clear_note(step: Step) -> None:
    step.put("review_note", "")


ACTIVITY = Workflow(
    "activity",
    model=Activity,
    audit_prefix="kepu.activities",
    audit_place=lambda activity: activity.place,
    transitions=[
        Transition("submit", _("Publish"), {A.DRAFT, A.REJECTED}, None, STAFF_ROLES, manages,
                   targets={A.IN_REVIEW, A.PUBLISHED}, guard=without_sessions, apply=_submit),
        Transition("approve", _("Approve and publish"), {A.IN_REVIEW}, A.PUBLISHED, OFFICES, reviews,
                   apply=_clear_note),
        Transition("reject", _("Send back"), {A.IN_REVIEW}, A.REJECTED, OFFICES, reviews, needs_reason=True,
                   negative=True, apply=_note),
        Transition("cancel", _("Cancel the activity"), {A.DRAFT, A.IN_REVIEW, A.PUBLISHED, A.REJECTED},
                   A.CANCELLED, STAFF_ROLES, manages, needs_reason=True, negative=True, apply=_note),
    ],
)  # fmt: skip


def _own(actor: Actor, registration: Registration) -> bool:
    return actor.user_id is not None and actor.user_id in (registration.user_id, registration.registered_by_id)


def _organizer(actor: Actor, registration: Registration) -> bool:
    return manages(actor, registration.session.activity)


def _own_or_organizer(actor: Actor, registration: Registration) -> bool:
    return _own(actor, registration) or _organizer(actor, registration)


def not_checked_in(registration: Registration) -> bool:
    return registration.checked_in_at is None


REGISTRATION = Workflow(
    "registration",
    model=Registration,
    audit_prefix="kepu.activities.registration",
    audit_place=lambda registration: registration.session.activity.place,
    transitions=[
        Transition("approve", _("Approve"), {R.PENDING}, None, STAFF_ROLES, _organizer,
                   targets={R.CONFIRMED, R.WAITING}),
        Transition("reject", _("Refuse"), {R.PENDING}, R.REJECTED, STAFF_ROLES, _organizer, negative=True),
        Transition("offer", _("Offer the freed place"), {R.WAITING}, R.OFFERED, party=nobody, system=True),
        Transition("accept", _("Take the place"), {R.OFFERED}, R.CONFIRMED, ALL_ROLES, _own),
        Transition("lapse", _("Offer lapsed"), {R.OFFERED}, R.LAPSED, party=nobody, system=True),
        Transition("cancel", _("Cancel"), {R.PENDING, R.CONFIRMED, R.WAITING, R.OFFERED}, R.CANCELLED, ALL_ROLES,
                   _own_or_organizer, when=not_checked_in, negative=True),
    ],
)  # fmt: skip
