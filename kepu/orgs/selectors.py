"""Reads of organizations, scoped to the actor."""

from django.db.models import Q, QuerySet

from kepu.core.actor import Actor
from kepu.core.permissions import get_visible, scope
from kepu.orgs.models import Organization


def organization_list(*, actor: Actor, kind: str | None = None, q: str | None = None,
                      place_code: str | None = None) -> QuerySet[Organization]:
    qs = scope(actor, Organization.objects.select_related("place"))
    if kind:
        qs = qs.filter(kind=kind)
    if place_code:
        qs = qs.filter(Q(place__path__startswith=f"{place_code}/") | Q(place__path__contains=f"/{place_code}/"))
    if q:
        qs = qs.filter(Q(name__icontains=q) | Q(short_name__icontains=q))
    return qs.order_by("place__path", "kind", "name")


def organization_get(*, actor: Actor, pk: int) -> Organization:
    return get_visible(actor, Organization.objects.select_related("place", "parent"), pk=pk)
