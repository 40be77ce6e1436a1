"""What the volunteers services share: numbers, phones, choices and words cleaned; membership; need references."""

from __future__ import annotations

import secrets
from typing import TYPE_CHECKING

from django.core.exceptions import ValidationError
from django.utils.translation import gettext as _

from kepu.accounts.selectors import is_member
from kepu.core.actor import Actor
from kepu.core.errors import DomainError
from kepu.core.pii import blind_index, normalize_id_number, normalize_phone
from kepu.core.roles import Role
from kepu.volunteers.models import NeedKind, Volunteer

if TYPE_CHECKING:
    from kepu.orgs.models import Organization


def id_index(id_number: str) -> str:
    return blind_index(id_number, "id_number")


def clean_id_number(value: str) -> str:
    try:
        return normalize_id_number(value)
    except ValidationError as exc:
        raise DomainError(exc.messages[0], code=exc.error_list[0].code or "id_invalid") from None


def clean_phone(value: str) -> str:
    try:
        return normalize_phone(value)
    except ValidationError as exc:
        raise DomainError(exc.messages[0], code="phone_invalid") from None


def _clean_choices(values, choices, code: str) -> list[str]:
    values = [v for v in (values or []) if v]
    bad = [v for v in values if v not in choices]
    if bad:
        raise DomainError(_("Unknown choice: %(value)s.") % {"value": ", ".join(bad)}, code=code)
    return list(dict.fromkeys(values))


def _clean_words(values, limit: int = 12) -> list[str]:
    words = [str(v).strip()[:30] for v in (values or []) if str(v).strip()]
    return list(dict.fromkeys(words))[:limit]


def new_token(nbytes: int = 12) -> str:
    return secrets.token_urlsafe(nbytes)[:32]


def _is_member(volunteer: Volunteer, organization: Organization) -> bool:
    return volunteer.user_id is not None and is_member(volunteer.user_id, organization, Role.VOLUNTEER)


def _check_need_ref(actor: Actor, kind: str, ref_id: int) -> None:
    """The activity (an open day is an activity too) or the order a need (or an expert's invitation) names must
    exist and be visible to the organization: presence at a need is then the volunteers' presence there."""
    from kepu.core.errors import NotFound

    try:
        if kind in (NeedKind.ACTIVITY, NeedKind.OPEN_DAY):
            from kepu.activities.selectors import activity_for_visitor

            activity_for_visitor(actor=actor, pk=ref_id)
        elif kind == NeedKind.ORDER:
            from kepu.orders.selectors import order_get

            order_get(actor=actor, pk=ref_id)
        else:
            raise DomainError(
                _("Only a need for an activity, an order or an open day names a number."), code="need_ref_kind"
            )
    except NotFound:
        message = (
            _("There is no order with this number that your organization serves.")
            if kind == NeedKind.ORDER
            else _("There is no activity with this number that your organization may see.")
        )
        raise DomainError(message, code="need_ref_unknown") from None
