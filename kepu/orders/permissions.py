"""Who may see orders and the service menu, and who may act on them.

* A resident sees the orders they placed (or that were placed for them).
* Community, street and district offices see the orders in their area; the city sees all.
* A member unit sees only the orders routed to it; a volunteer organization the orders it
  was given and those in its district's pool; an expert the orders passed to them; a
  volunteer the orders they served on.
* The full contact phone is for those who must call: the offices of the area and the
  organization or expert doing the service. Every full view is audited.

Transitions are allowed by ``workflow.allowed`` and nowhere else.
"""

from enum import StrEnum

from django.db.models import Q

from kepu.core.errors import NotAllowed
from kepu.core.permissions import Policy, covers, register
from kepu.core.roles import AREA_ROLES, PUBLIC_ROLES, Role
from kepu.orders import workflow
from kepu.orders.models import Holiday, Order, OrderStatus, ServiceItem, StepDeadline
from kepu.places.choices import PlaceLevel


class OrderAction(StrEnum):
    VIEW = "view"
    VIEW_CONTACT = "view_contact"
    CREATE = "create"
    CREATE_FOR_OTHERS = "create_for_others"
    ADD_PHOTOS = "add_photos"
    #: Work on other people's orders (the workers' list and page); residents and volunteers follow their own.
    WORK = "work"
    #: Place orders for residents (community and street staff), on the model.
    ORDER_FOR_RESIDENTS = "order_for_residents"


class CalendarAction(StrEnum):
    #: Mark a day off or a make-up working day, or set how many working days a step may take.
    SET = "set"


class MenuAction(StrEnum):
    VIEW = "view"
    PUBLISH = "publish"
    CHANGE = "change"


def order_scope_q(actor) -> Q | None:
    """The orders an actor may see, as a filter; ``None`` means all of them."""
    if actor.is_city:
        return None
    role = actor.role
    if role in AREA_ROLES and actor.area_path:
        # Same rows as a prefix match on place_path, but through the foreign key of the
        # office's level, so that "newest orders of this district" walks an index.
        place = actor.place
        level_field = {
            PlaceLevel.DISTRICT: "district_id",
            PlaceLevel.STREET: "street_id",
            PlaceLevel.COMMUNITY: "community_id",
        }.get(place.level)
        if level_field:
            return Q(**{level_field: place.pk})
        return Q(place_path__startswith=actor.area_path)
    if role == Role.RESIDENT:
        return Q(resident_id=actor.user_id) | Q(resident__isnull=True, placed_by_id=actor.user_id)
    if role == Role.UNIT_STAFF and actor.organization_id:
        return Q(unit_id=actor.organization_id)
    if role == Role.VOLUNTEER_ORG_STAFF and actor.organization_id:
        q = Q(provider_id=actor.organization_id)
        if actor.place is not None:
            q |= Q(in_pool=True, status=OrderStatus.CLAIMED, place_path__startswith=actor.place.path)
        return q
    if role == Role.EXPERT:
        return Q(expert_id=actor.user_id)
    if role == Role.VOLUNTEER:
        return Q(volunteers__volunteer_id=actor.user_id)
    return Q(pk__in=[])


def menu_district_path(actor) -> str | None:
    """The district whose menu an actor is shown: their home's (or their organization's); ``None`` for the
    city office and for visitors, who see the whole city's."""
    if not actor.is_authenticated or actor.place is None or actor.is_city:
        return None
    return (actor.user.home_place or actor.place).path


def rollup_scope_q(actor) -> Q:
    """The roll-up rows of the orders an actor may count: the same as their orders, by the columns the
    roll-up has. Roles the roll-up cannot scope (residents, experts, volunteers) are refused."""
    if actor.is_authenticated and actor.is_city:
        return Q()
    role, place = actor.role, actor.place
    if role in AREA_ROLES and place is not None:
        column = {
            PlaceLevel.DISTRICT: "district_id",
            PlaceLevel.STREET: "street_id",
            PlaceLevel.COMMUNITY: "community_id",
        }.get(place.level)
        if column:
            return Q(**{column: place.pk})
    if role == Role.UNIT_STAFF and actor.organization_id:
        return Q(unit_id=actor.organization_id)
    if role == Role.VOLUNTEER_ORG_STAFF and actor.organization_id:
        return Q(provider_id=actor.organization_id)
    raise NotAllowed()


@register
class OrderPolicy(Policy):
    model = Order
    actions = OrderAction

    def action_values(self):
        # The workflow's transitions are asked by name too (``workflow.allowed``).
        return super().action_values() | frozenset(workflow.TRANSITIONS)

    def scope(self, actor, queryset):
        q = order_scope_q(actor)
        return queryset if q is None else queryset.filter(q)

    def can(self, actor, action, obj=None):
        if action == OrderAction.CREATE:
            return actor.role in (Role.RESIDENT, Role.COMMUNITY_STAFF, Role.STREET_STAFF)
        if action == OrderAction.WORK:
            return actor.role is not None and actor.role not in PUBLIC_ROLES
        if action == OrderAction.ORDER_FOR_RESIDENTS:
            return actor.role in (Role.COMMUNITY_STAFF, Role.STREET_STAFF)
        if action == OrderAction.CREATE_FOR_OTHERS:
            # obj: an unsaved order carrying the place it is for
            return actor.role in (Role.COMMUNITY_STAFF, Role.STREET_STAFF) and covers(actor, obj.place_path)
        if obj is None:
            return False
        if action == OrderAction.VIEW:
            return self.scope(actor, Order.objects.filter(pk=obj.pk)).exists()
        if action == OrderAction.VIEW_CONTACT:
            if actor.role in AREA_ROLES and actor.role != Role.CITY_ADMIN:
                return covers(actor, obj.place_path)
            return workflow.is_provider(actor, obj) or workflow.is_owner(actor, obj)
        if action == OrderAction.ADD_PHOTOS:
            return workflow.is_provider(actor, obj) and obj.status in (OrderStatus.DELIVERED, OrderStatus.RATED)
        if action in workflow.TRANSITIONS:
            return workflow.allowed(actor, obj, action)
        return False


@register
class ServiceItemPolicy(Policy):
    """The menu is public reading; units and volunteer organizations publish their own items."""

    model = ServiceItem
    actions = MenuAction

    def scope(self, actor, queryset):
        return queryset

    def can(self, actor, action, obj=None):
        if action in (MenuAction.PUBLISH, MenuAction.CHANGE):
            return (
                actor.role in (Role.UNIT_STAFF, Role.VOLUNTEER_ORG_STAFF)
                and obj is not None
                and obj.provider_id == actor.organization_id
            )
        return action == MenuAction.VIEW


class _DistrictCalendarPolicy(Policy):
    """The district's working calendar and step deadlines: its own district office only."""

    actions = CalendarAction

    def scope(self, actor, queryset):
        if actor.is_city:
            return queryset
        if actor.role == Role.DISTRICT_ADMIN and actor.place is not None:
            return queryset.filter(district_id=actor.place.pk)
        return queryset.none()

    def can(self, actor, action, obj=None):
        return (
            obj is not None
            and actor.role == Role.DISTRICT_ADMIN
            and actor.place is not None
            and obj.district_id == actor.place.pk
        )


@register
class HolidayPolicy(_DistrictCalendarPolicy):
    model = Holiday


@register
class StepDeadlinePolicy(_DistrictCalendarPolicy):
    model = StepDeadline
