"""The organization figure for the measure registry (kepu.core.measures): organizations by place and kind."""

from decimal import Decimal
from urllib.parse import urlencode

from django.urls import reverse
from django.utils.translation import gettext_lazy as _

from kepu.core.measures import register_measure
from kepu.orgs.models import Organization
from kepu.places.selectors import path_of


def _organizations(filters: dict) -> Decimal:
    qs = Organization.objects.filter(is_active=True)
    if filters.get("place"):
        path = path_of(filters["place"])
        qs = qs.filter(place__path__startswith=path) if path else qs.none()
    if filters.get("kind"):
        qs = qs.filter(kind=filters["kind"])
    return Decimal(qs.count())


def _orgs_url(filters: dict) -> str:
    return reverse("orgs:list") + "?" + urlencode({"kind": filters.get("kind", "")})


def register() -> None:
    register_measure("orgs.organizations", _("Number of organizations"), "个", _organizations, _orgs_url)
