"""What the orders services share: the error, and the people an order's news goes to."""

from __future__ import annotations

from kepu.accounts.selectors import staff_of
from kepu.core.errors import DomainError
from kepu.core.roles import Role
from kepu.notifications.services import INBOX, SMS, WECHAT, notify
from kepu.orders.models import Order, OrderStatus
from kepu.orgs.choices import OrgKind
from kepu.orgs.selectors import organizations_of_kind

S = OrderStatus


class OrderError(DomainError):
    code = "order_invalid"


# --- People to tell ---------------------------------------------------------------------
def _staff(org_ids, roles) -> list:
    return staff_of(org_ids, roles)


def _office_ids(order: Order) -> dict[str, int | None]:
    """The organizations of the community committee, the street office and the district office."""
    places = {"community": order.community_id, "street": order.street_id, "district": order.district_id}
    kinds = {"community": OrgKind.COMMUNITY, "street": OrgKind.STREET_OFFICE, "district": OrgKind.DISTRICT_OFFICE}
    out = {}
    for level, place_id in places.items():
        org = organizations_of_kind(kinds[level], place_id=place_id).order_by("pk").first() if place_id else None
        out[level] = org.pk if org else None
    return out


def dispatcher_staff(order: Order) -> list:
    offices = _office_ids(order)
    if order.community_id:
        return _staff([offices["community"]], [Role.COMMUNITY_STAFF])
    return _staff([offices["street"]], [Role.STREET_STAFF])


def _order_url(order: Order) -> str:
    from django.urls import reverse

    return reverse("orders:detail", args=[order.pk])


def _tell(people, order: Order, kind: str, title: str, body: str = "", urgent: bool = False) -> None:
    notify(
        people,
        title=title,
        body=body,
        url=_order_url(order),
        kind=kind,
        channels=(INBOX, SMS, WECHAT) if urgent else (INBOX,),
    )


def _resident(order: Order) -> list:
    return [order.resident] if order.resident_id else []


def _clean_text(value: str, limit: int, message: str, code: str) -> str:
    value = (value or "").strip()
    if not value or len(value) > limit:
        raise OrderError(message, code=code)
    return value
