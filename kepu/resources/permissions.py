"""Who may see and do what with science resources.

* Everybody (anonymous visitors too, through ``selectors.public_resources``) sees published
  versions, and nothing else: no draft, no version in review, nothing withdrawn or superseded.
* Staff of the unit that made a piece see all its versions and write, submit, correct and
  withdraw it; they lend its exhibits and kits.
* The district office of the unit's place edits (chooses the expert, publishes, withdraws) and sees
  every version submitted in its area; the city office everywhere.
* An expert sees the versions they were asked to review.
* Area offices (community, street, district, city) push published pieces to people of their area;
  any staff may attach a published piece to what they run and ask to borrow a kit for their organization.
"""

from __future__ import annotations

from enum import StrEnum

from django.db.models import Q

from kepu.core.permissions import Policy, covers, register
from kepu.core.roles import AREA_ROLES, STAFF_ROLES, Role
from kepu.resources.models import Kind, Loan, Push, Resource, Status, Subscription
from kepu.resources.workflow import EDITABLE_STATES, is_author_side, is_editor, is_reviewer


class ResourceAction(StrEnum):
    VIEW = "view"
    MANAGE = "manage"  # see the review page: history, notes, files of any version
    CREATE = "create"
    EDIT = "edit"
    PUSH = "push"
    ATTACH = "attach"
    LEND = "lend"
    BORROW = "borrow"
    #: Act for one's organization in the library at all (write pieces, lend and borrow kits, subscribe
    #: the organization to topics): its staff, on the model.
    WORK = "work"
    #: Name a service order a piece is attached to (staff, and the experts who serve orders), on the model.
    ATTACH_TO_ORDERS = "attach_to_orders"


def public_q() -> Q:
    return Q(status=Status.PUBLISHED)


def working_q(actor) -> Q:
    """The versions the actor works on, published or not: their unit's, their area's beyond drafts
    (editors; the city everywhere), those they were asked to review (experts)."""
    mine = Q(pk__in=[])
    if actor.role in STAFF_ROLES and actor.organization_id:
        mine |= Q(source_unit_id=actor.organization_id)
    if actor.role == Role.CITY_ADMIN:
        mine |= ~Q(status=Status.DRAFT)
    elif actor.role == Role.DISTRICT_ADMIN and actor.area_path:
        mine |= Q(place_path__startswith=actor.area_path) & ~Q(status=Status.DRAFT)
    if actor.role == Role.EXPERT:
        mine |= Q(reviewer_id=actor.user_id)
    return mine


def manages(actor, r: Resource) -> bool:
    """access_resource_for_review: the unit's staff, its editors, the expert asked to review it."""
    return is_author_side(actor, r) or is_editor(actor, r) or is_reviewer(actor, r)


@register
class ResourcePolicy(Policy):
    model = Resource
    actions = ResourceAction

    def scope(self, actor, queryset):
        return queryset.filter(public_q() | working_q(actor))

    def can(self, actor, action, obj=None):
        if action == ResourceAction.WORK:
            return actor.role in STAFF_ROLES
        if action == ResourceAction.ATTACH_TO_ORDERS:
            return actor.role in STAFF_ROLES or actor.role == Role.EXPERT
        if obj is None:
            return False
        if action == ResourceAction.VIEW:
            return obj.status == Status.PUBLISHED or manages(actor, obj)
        if action == ResourceAction.MANAGE:
            if is_editor(actor, obj) and obj.status == Status.DRAFT:
                return is_author_side(actor, obj)
            return manages(actor, obj)
        if action == ResourceAction.CREATE:
            return actor.role in STAFF_ROLES and obj.source_unit_id == actor.organization_id
        if action == ResourceAction.EDIT:
            return is_author_side(actor, obj) and obj.status in EDITABLE_STATES
        if action == ResourceAction.PUSH:
            return obj.status == Status.PUBLISHED and actor.role in AREA_ROLES and actor.area_path is not None
        if action == ResourceAction.ATTACH:
            return obj.status == Status.PUBLISHED and actor.role in STAFF_ROLES
        if action == ResourceAction.LEND:
            return obj.kind == Kind.KIT and is_author_side(actor, obj)
        if action == ResourceAction.BORROW:
            return (
                obj.kind == Kind.KIT
                and obj.status == Status.PUBLISHED
                and actor.role in STAFF_ROLES
                and actor.organization_id is not None
                and actor.organization_id != obj.source_unit_id
            )
        return False


class PushAction(StrEnum):
    VIEW = "view"
    #: Start a stopped fan-out again: the offices of an area (who push), among those who see the push.
    RESUME = "resume"


class LoanAction(StrEnum):
    VIEW = "view"


class SubscriptionAction(StrEnum):
    VIEW = "view"
    CHANGE = "change"


@register
class PushPolicy(Policy):
    model = Push
    actions = PushAction

    def scope(self, actor, queryset):
        if actor.role == Role.CITY_ADMIN:
            return queryset
        visible = Q(pk__in=[])
        if actor.role in AREA_ROLES and actor.area_path:
            visible |= Q(place_path__startswith=actor.area_path)
        if actor.role in STAFF_ROLES and actor.organization_id:
            visible |= Q(resource__source_unit_id=actor.organization_id) | Q(organization_id=actor.organization_id)
        return queryset.filter(visible)

    def can(self, actor, action, obj=None):
        if obj is None or action not in (PushAction.VIEW, PushAction.RESUME):
            return False
        if action == PushAction.RESUME and actor.role not in AREA_ROLES:
            return False
        if actor.role == Role.CITY_ADMIN:
            return True
        if actor.role in AREA_ROLES and covers(actor, obj.place_path):
            return True
        return actor.role in STAFF_ROLES and actor.organization_id in (obj.organization_id, obj.resource.source_unit_id)


@register
class LoanPolicy(Policy):
    model = Loan
    actions = LoanAction

    def scope(self, actor, queryset):
        if actor.role == Role.CITY_ADMIN:
            return queryset
        if actor.role not in STAFF_ROLES or not actor.organization_id:
            return queryset.none()
        visible = Q(borrower_id=actor.organization_id) | Q(resource__source_unit_id=actor.organization_id)
        if actor.role == Role.DISTRICT_ADMIN and actor.area_path:
            visible |= Q(resource__place_path__startswith=actor.area_path)
        return queryset.filter(visible)

    def can(self, actor, action, obj=None):
        if obj is None:
            return False
        lender = is_author_side(actor, obj.resource)
        borrower = actor.role in STAFF_ROLES and obj.borrower_id == actor.organization_id
        if action == LoanAction.VIEW:
            return lender or borrower or actor.role == Role.CITY_ADMIN or is_editor(actor, obj.resource)
        return False


@register
class SubscriptionPolicy(Policy):
    model = Subscription
    actions = SubscriptionAction

    def scope(self, actor, queryset):
        mine = Q(user_id=actor.user_id)
        if actor.role in STAFF_ROLES and actor.organization_id:
            mine |= Q(organization_id=actor.organization_id)
        return queryset.filter(mine)

    def can(self, actor, action, obj=None):
        if obj is None or action not in (SubscriptionAction.VIEW, SubscriptionAction.CHANGE):
            return False
        if obj.user_id is not None:
            return obj.user_id == actor.user_id
        return actor.role in STAFF_ROLES and obj.organization_id == actor.organization_id
