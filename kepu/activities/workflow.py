"""The two state machines of this app, declared in one place.

Activity: draft → (in_review →) published → cancelled; a district that requires review
sends submissions to its office, which approves or sends them back (rejected → draft).

Registration: a sign-up lands in ``pending`` (approval needed), ``confirmed`` (a place was
free) or ``waiting``. When a place frees, the first in line whose head count fits is
``offered`` the place for ``Activity.offer_hours``; they accept (→ confirmed) or the offer
lapses (→ lapsed) and passes on. Anybody alive may cancel. Places are held by confirmed and
offered registrations only.
"""

from __future__ import annotations

from kepu.activities.models import ActivityStatus as A
from kepu.activities.models import RegistrationStatus as R
from kepu.core.errors import Conflict

ACTIVITY_TRANSITIONS: dict[str, dict[str, tuple[str, ...]]] = {
    # event: {to: from states}
    "submit": {A.PUBLISHED: (A.DRAFT, A.REJECTED), A.IN_REVIEW: (A.DRAFT, A.REJECTED)},
    "approve": {A.PUBLISHED: (A.IN_REVIEW,)},
    "reject": {A.REJECTED: (A.IN_REVIEW,)},
    "cancel": {A.CANCELLED: (A.DRAFT, A.IN_REVIEW, A.PUBLISHED, A.REJECTED)},
}

REGISTRATION_TRANSITIONS: dict[tuple[str, str], tuple[str, ...]] = {
    # (event, to): from states
    ("approve", R.CONFIRMED): (R.PENDING,),
    ("approve", R.WAITING): (R.PENDING,),
    ("reject", R.REJECTED): (R.PENDING,),
    ("offer", R.OFFERED): (R.WAITING,),
    ("accept", R.CONFIRMED): (R.OFFERED,),
    ("lapse", R.LAPSED): (R.OFFERED,),
    ("cancel", R.CANCELLED): (R.PENDING, R.CONFIRMED, R.WAITING, R.OFFERED),
}


class WrongState(Conflict):
    code = "wrong_state"


def check_activity(event: str, current: str, target: str) -> None:
    if current not in ACTIVITY_TRANSITIONS.get(event, {}).get(target, ()):
        raise WrongState(code="activity_wrong_state", data={"state": current, "event": event})


def check_registration(event: str, current: str, target: str) -> None:
    if current not in REGISTRATION_TRANSITIONS.get((event, target), ()):
        raise WrongState(code="registration_wrong_state", data={"state": current, "event": event})
