"""The order workflow (订单认领模式), declared in one place.

群众点单 submitted → 社区派单 dispatched (or rejected) → 部门领单 claimed (or handed back) →
志愿组织接单 accepted (or declined) → scheduled → delivered → 群众评单 rated → closed.

Each ``Transition`` says from which states it may be made, into which state it leads,
which roles may make it, which party of the order the actor must be (``party``), what it
requires (``needs_reason``, ``needs``) and which deadline starts when it is made. The
services carry transitions out; the permission policy, the pages and the API ask
``allowed`` and ``available`` here, so there is one answer to "who may do what now".
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

from django.utils.translation import gettext_lazy as _

from kepu.core.actor import Actor
from kepu.core.permissions import covers
from kepu.core.roles import Role
from kepu.orders.models import Order, OrderStatus, Step

S = OrderStatus

#: States in which an order is still someone's work.
OPEN_STATES = frozenset({S.SUBMITTED, S.DISPATCHED, S.CLAIMED, S.ACCEPTED, S.SCHEDULED})
#: States an order never leaves.
FINAL_STATES = frozenset({S.CLOSED, S.REJECTED, S.CANCELLED})
#: The order of the main line; a transition never moves an order more than one step along it.
MAIN_LINE = (S.SUBMITTED, S.DISPATCHED, S.CLAIMED, S.ACCEPTED, S.SCHEDULED, S.DELIVERED, S.RATED, S.CLOSED)

#: Which deadline starts when an order enters a state (see ``StepDeadline``).
STEP_ON_ENTRY = {S.SUBMITTED: Step.DISPATCH, S.DISPATCHED: Step.CLAIM, S.CLAIMED: Step.ACCEPT,
                 S.ACCEPTED: Step.SCHEDULE}


# --- Parties: who the actor must be, for this order -------------------------------------
def is_dispatcher(actor: Actor, order: Order) -> bool:
    """Community staff of the order's community; the street office of its street; the district office.

    An order without a community is the street's to dispatch (the community cannot).
    """
    if actor.role == Role.COMMUNITY_STAFF:
        return order.community_id is not None and covers(actor, order.place_path)
    if actor.role in (Role.STREET_STAFF, Role.DISTRICT_ADMIN):
        return covers(actor, order.place_path)
    return False


def is_unit(actor: Actor, order: Order) -> bool:
    return actor.role == Role.UNIT_STAFF and order.unit_id is not None and order.unit_id == actor.organization_id


def is_provider(actor: Actor, order: Order) -> bool:
    if actor.role == Role.VOLUNTEER_ORG_STAFF:
        return order.provider_id is not None and order.provider_id == actor.organization_id
    if actor.role == Role.EXPERT:
        return order.expert_id is not None and order.expert_id == actor.user_id
    return False


def is_eligible_grabber(actor: Actor, order: Order) -> bool:
    """Staff of a volunteer organization of the order's district, while the order is in the pool."""
    if actor.role != Role.VOLUNTEER_ORG_STAFF or not order.in_pool:
        return False
    org_place = actor.place
    return org_place is not None and order.place_path.startswith(org_place.path)


def is_owner(actor: Actor, order: Order) -> bool:
    """The resident who ordered, or the community staff member who ordered for a resident without an account."""
    if actor.role == Role.RESIDENT:
        return order.resident_id is not None and order.resident_id == actor.user_id
    if actor.role == Role.COMMUNITY_STAFF:
        return order.resident_id is None and order.placed_by_id == actor.user_id and covers(actor, order.place_path)
    return False


def unassigned(order: Order) -> bool:
    return order.provider_id is None and order.expert_id is None and not order.in_pool


def assigned(order: Order) -> bool:
    return (order.provider_id is not None or order.expert_id is not None) and not order.in_pool


@dataclass(frozen=True)
class Transition:
    name: str
    label: object
    sources: frozenset
    target: str | None  # None: the order stays in its state (re-dispatch, pass on, decline …)
    roles: frozenset
    party: Callable[[Actor, Order], bool]
    when: Callable[[Order], bool] = lambda order: True
    needs_reason: bool = False
    needs: tuple[str, ...] = ()
    negative: bool = False
    audit_code: str = ""
    #: Made by the periodic tasks only (no role may ask for it).
    system: bool = False

    def target_for(self, order: Order) -> str:
        return self.target or order.status


DISPATCHERS = frozenset({Role.COMMUNITY_STAFF, Role.STREET_STAFF, Role.DISTRICT_ADMIN})
OWNERS = frozenset({Role.RESIDENT, Role.COMMUNITY_STAFF})
PROVIDERS = frozenset({Role.VOLUNTEER_ORG_STAFF, Role.EXPERT})

TRANSITIONS: dict[str, Transition] = {t.name: t for t in (
    Transition("dispatch", _("Dispatch"), frozenset({S.SUBMITTED}), S.DISPATCHED, DISPATCHERS, is_dispatcher,
               needs=("unit",)),
    Transition("reject", _("Reject"), frozenset({S.SUBMITTED}), S.REJECTED, DISPATCHERS, is_dispatcher,
               needs_reason=True, negative=True),
    Transition("redispatch", _("Re-dispatch"), frozenset({S.DISPATCHED}), None, DISPATCHERS, is_dispatcher,
               needs_reason=True, needs=("unit",), negative=True),
    Transition("claim", _("Claim (sign for it)"), frozenset({S.DISPATCHED}), S.CLAIMED, frozenset({Role.UNIT_STAFF}),
               is_unit),
    Transition("hand_back", _("Hand back"), frozenset({S.DISPATCHED, S.CLAIMED}), S.SUBMITTED,
               frozenset({Role.UNIT_STAFF}), is_unit, when=unassigned, needs_reason=True, negative=True),
    Transition("pass_on", _("Pass on"), frozenset({S.CLAIMED}), None, frozenset({Role.UNIT_STAFF}), is_unit,
               when=unassigned, needs=("provider_or_expert",)),
    Transition("post_to_pool", _("Post to the order pool"), frozenset({S.CLAIMED}), None,
               frozenset({Role.UNIT_STAFF}), is_unit, when=unassigned),
    Transition("grab", _("Grab"), frozenset({S.CLAIMED}), S.ACCEPTED, frozenset({Role.VOLUNTEER_ORG_STAFF}),
               is_eligible_grabber, when=lambda o: o.in_pool),
    Transition("accept", _("Accept"), frozenset({S.CLAIMED}), S.ACCEPTED, PROVIDERS, is_provider, when=assigned),
    Transition("decline", _("Decline"), frozenset({S.CLAIMED}), None, PROVIDERS, is_provider, when=assigned,
               needs_reason=True, negative=True),
    Transition("schedule", _("Schedule"), frozenset({S.ACCEPTED}), S.SCHEDULED, PROVIDERS, is_provider,
               needs=("scheduled_for", "scheduled_place", "scheduled_people")),
    Transition("deliver", _("Record delivery"), frozenset({S.SCHEDULED}), S.DELIVERED, PROVIDERS, is_provider,
               needs=("attendance",)),
    Transition("rate", _("Rate"), frozenset({S.DELIVERED}), S.RATED, OWNERS, is_owner, needs=("rating",)),
    Transition("close", _("Close"), frozenset({S.RATED}), S.CLOSED, DISPATCHERS, is_dispatcher),
    # A delivered order the resident has not rated within the district's rating window (Step.RATE):
    # it counts as completed, and not in the satisfaction rate. The one move that passes "rated".
    Transition("close_unrated", _("Closed without a rating"), frozenset({S.DELIVERED}), S.CLOSED, frozenset(),
               lambda actor, order: False, system=True),
    Transition("cancel", _("Cancel the order"), frozenset({S.SUBMITTED, S.DISPATCHED, S.CLAIMED, S.ACCEPTED}),
               S.CANCELLED, OWNERS, is_owner, needs_reason=True, negative=True),
)}

#: Entries of an order's history that are not transitions.
OTHER_EVENTS = {"submit": _("Ordered"), "escalate": _("Escalated: overdue"),
                "remind_rate": _("Reminded to rate"), "add_photos": _("Photos added")}


def action_label(name: str):
    t = TRANSITIONS.get(name)
    return t.label if t is not None else OTHER_EVENTS.get(name, name)


NEGATIVE = frozenset(name for name, t in TRANSITIONS.items() if t.negative)


def allowed(actor: Actor, order: Order, name: str) -> bool:
    """May ``actor`` make transition ``name`` on ``order`` now (state, role, party, condition)?"""
    t = TRANSITIONS.get(name)
    if t is None or not actor.is_authenticated:
        return False
    return order.status in t.sources and actor.role in t.roles and t.when(order) and t.party(actor, order)


def may_ever(actor: Actor, order: Order, name: str) -> bool:
    """Is ``actor`` the party for ``name`` on this order, whatever its state (for "already taken" answers)?"""
    t = TRANSITIONS.get(name)
    if t is None or not actor.is_authenticated or actor.role not in t.roles:
        return False
    if name == "grab":
        return actor.role == Role.VOLUNTEER_ORG_STAFF and actor.place is not None and order.place_path.startswith(
            actor.place.path)
    return t.party(actor, order)


def available(actor: Actor, order: Order) -> list[Transition]:
    return [t for name, t in TRANSITIONS.items() if allowed(actor, order, name)]


def is_legal_move(from_status: str, to_status: str) -> bool:
    """Whether some transition leads from ``from_status`` to ``to_status`` (used by tests and checks)."""
    return any(from_status in t.sources and (t.target or from_status) == to_status for t in TRANSITIONS.values())
