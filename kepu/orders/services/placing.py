"""Placing an order (点单)."""

from __future__ import annotations

import uuid
from datetime import date
from typing import TYPE_CHECKING

from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from kepu.core.actor import Actor
from kepu.core.audit import log_action
from kepu.core.permissions import require
from kepu.core.pii import normalize_phone
from kepu.core.populations import Population
from kepu.core.roles import Role
from kepu.orders import rollup, workflow
from kepu.orders.calendar import deadline_for
from kepu.orders.models import Order, OrderEvent, ServiceItem, ServiceKind, Topic
from kepu.orders.permissions import OrderAction
from kepu.orders.services._common import OrderError, S, _clean_text, _tell, dispatcher_staff
from kepu.places.choices import PlaceLevel

if TYPE_CHECKING:
    from kepu.places.models import Place


def _order_number(pk: int) -> str:
    return f"{timezone.localdate():%y%m%d}{pk:07d}"


@transaction.atomic
def order_place(
    *,
    actor: Actor,
    title: str,
    kind: str,
    topic: str,
    population: str,
    place: Place,
    preferred_from: date,
    preferred_to: date,
    expected_audience: int = 20,
    description: str = "",
    address: str = "",
    service_item: ServiceItem | None = None,
    contact_name: str = "",
    contact_phone: str = "",
) -> Order:
    """A resident orders a service (点单), or office staff order for a resident who phoned or walked in.

    ``place`` is a community, or a street when the community is not known.
    """
    require(actor, OrderAction.CREATE, Order())
    if place.level not in (PlaceLevel.COMMUNITY, PlaceLevel.STREET):
        raise OrderError(_("Choose the community (or the street) where the service is wanted."), code="order_place")
    on_behalf = actor.role != Role.RESIDENT
    if on_behalf:
        require(actor, OrderAction.CREATE_FOR_OTHERS, Order(place_path=place.path))
    if service_item is not None:
        kind, topic = service_item.kind, service_item.topic
        title = title or service_item.title
    title = _clean_text(
        title, 100, _("Say in a few words what service you want (at most 100 characters)."), "order_title"
    )
    if kind not in ServiceKind.values:
        raise OrderError(_("Choose a kind of service."), code="order_kind")
    if topic not in Topic.values:
        raise OrderError(_("Choose a topic."), code="order_topic")
    if population not in Population.values:
        raise OrderError(_("Choose who the service is for."), code="order_population")
    if not 1 <= int(expected_audience) <= 10000:
        raise OrderError(_("The expected audience must be between 1 and 10,000 people."), code="order_audience")
    if preferred_to < preferred_from:
        raise OrderError(_("The end of the preferred period cannot be before its start."), code="order_window")
    if preferred_from < timezone.localdate():
        raise OrderError(_("The preferred period cannot start in the past."), code="order_window")
    if on_behalf:
        contact_name = _clean_text(contact_name, 50, _("Enter the name of the resident to contact."), "order_contact")
        resident = None
    else:
        resident = actor.user
        contact_name = (contact_name or actor.user.get_display_name()).strip()[:50]
        contact_phone = contact_phone or actor.user.phone
    if contact_phone:
        try:
            contact_phone = normalize_phone(contact_phone)
        except Exception:
            raise OrderError(_("Enter a valid mainland mobile number of 11 digits."), code="phone_invalid") from None
    elif on_behalf:
        raise OrderError(
            _("Enter the resident's phone number so that the service can be arranged."), code="phone_required"
        )
    community = place if place.level == PlaceLevel.COMMUNITY else None
    street = place.parent if community else place
    district = street.parent
    order = Order.objects.create(
        number=f"t{uuid.uuid4().hex[:18]}",
        status=S.SUBMITTED,
        service_item=service_item,
        kind=kind,
        topic=topic,
        title=title,
        description=(description or "").strip(),
        population=population,
        expected_audience=int(expected_audience),
        district=district,
        street=street,
        community=community,
        place_path=place.path,
        address=(address or "").strip()[:200],
        preferred_from=preferred_from,
        preferred_to=preferred_to,
        resident=resident,
        placed_by=actor.user,
        contact_name=contact_name,
        contact_phone=contact_phone or "",
        due_at=deadline_for(workflow.STEP_ON_ENTRY[S.SUBMITTED], district_id=district.pk),
    )
    order.number = _order_number(order.pk)
    order.save(update_fields=["number"])
    OrderEvent.objects.create(
        order=order,
        action="submit",
        from_status=S.SUBMITTED,
        to_status=S.SUBMITTED,
        actor=actor.user,
        actor_name=actor.user.get_display_name()[:100],
        actor_org=(actor.organization.display_name if actor.organization else "")[:100],
        data={"on_behalf": on_behalf},
    )
    log_action(actor, "kepu.orders.submitted", order, place=place)
    rollup.record(None, order)
    _tell(
        dispatcher_staff(order),
        order,
        "kepu.orders.submitted",
        _("New order %(number)s: %(title)s") % {"number": order.number, "title": order.title},
    )
    return order
