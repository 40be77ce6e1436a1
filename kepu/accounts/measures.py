"""The people figures accounts can compute for the measure registry (kepu.core.measures): residents and volunteers
registered, by place and year."""

from decimal import Decimal
from urllib.parse import urlencode

from django.db.models import Q
from django.urls import reverse
from django.utils.translation import gettext_lazy as _

from kepu.accounts.models import Membership, User
from kepu.core.measures import register_measure
from kepu.core.roles import Role
from kepu.places.selectors import path_of


def _place_q(filters: dict, path_field: str) -> Q:
    code = filters.get("place")
    if not code:
        return Q()
    path = path_of(code)
    return Q(**{f"{path_field}__startswith": path}) if path else Q(pk__in=[])


def _residents(filters: dict) -> Decimal:
    qs = User.objects.filter(memberships__role=Role.RESIDENT, memberships__is_active=True).filter(
        _place_q(filters, "memberships__organization__place__path")
    )
    if filters.get("year"):
        qs = qs.filter(date_joined__year=int(filters["year"]))
    return Decimal(qs.distinct().count())


def _volunteers(filters: dict) -> Decimal:
    qs = Membership.objects.filter(role=Role.VOLUNTEER, is_active=True).filter(
        _place_q(filters, "organization__place__path")
    )
    if filters.get("organization"):
        qs = qs.filter(organization_id=filters["organization"])
    if filters.get("year"):
        qs = qs.filter(created_at__year=int(filters["year"]))
    return Decimal(qs.values("user_id").distinct().count())


def _people_url(role: str):
    def url(filters: dict) -> str:
        return reverse("accounts:people") + "?" + urlencode({"role": role})

    return url


def register() -> None:
    register_measure("people.residents", _("Residents registered"), "人", _residents, _people_url("resident"))
    register_measure("people.volunteers", _("Volunteers registered"), "人", _volunteers, _people_url("volunteer"))
