"""Reads of the place tree."""

from django.db.models import QuerySet

from kepu.core.actor import Actor
from kepu.core.permissions import scope
from kepu.places.models import Place, PlaceLevel


def place_list(*, actor: Actor, parent_code: str | None = None, level: str | None = None) -> QuerySet[Place]:
    qs = scope(actor, Place.objects.all()) if actor.is_authenticated else Place.objects.all()
    if parent_code:
        qs = qs.filter(parent__code=parent_code)
    if level:
        qs = qs.filter(level=level)
    return qs.order_by("path")


def children_of(code: str | None) -> QuerySet[Place]:
    """The children of a place (public: the tree is reference data); the districts when no code."""
    if not code:
        return Place.objects.filter(level=PlaceLevel.DISTRICT).order_by("code")
    return Place.objects.filter(parent__code=code).order_by("code")


def place_by_code(code: str) -> Place:
    return Place.objects.get(code=code)
