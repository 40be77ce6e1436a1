"""Reads of the place tree."""

from django.db.models import Q, QuerySet

from kepu.core.actor import Actor
from kepu.core.permissions import scope
from kepu.places.models import Place, PlaceLevel

__all__ = ["PlaceLevel", "children_of", "place_by_code", "place_list"]  # the levels too, for other apps


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


def place_by_path(path: str) -> Place | None:
    """The place with this materialized path (``110000/110115/``), or None."""
    return Place.objects.filter(path=path).first() if path else None


def places_by_codes(codes) -> list[Place]:
    """The places with these codes, in the tree's order (unknown codes are left out)."""
    return list(Place.objects.filter(code__in=[str(c) for c in codes]).order_by("path"))


def place_by_code_or_none(code: str) -> Place | None:
    return Place.objects.filter(code=str(code)).first() if code else None


def path_of(code) -> str | None:
    """The materialized path of the place ``code`` (None when unknown), for filters on a subtree."""
    return Place.objects.filter(code=str(code)).values_list("path", flat=True).first() if code else None


def places_at(level: str, *, parent_code: str | None = None, district_code: str | None = None) -> QuerySet[Place]:
    """The places of one level (public reference data), in code order; under one parent or one district if given."""
    qs = Place.objects.filter(level=level)
    if parent_code:
        qs = qs.filter(parent__code=parent_code)
    if district_code:
        qs = qs.filter(district_code=district_code)
    return qs.order_by("code")


def place_names(paths) -> dict[str, str]:
    """Path → name of these places, for labelling figures grouped by place."""
    return dict(Place.objects.filter(path__in=list(paths)).values_list("path", "name"))


def places_under(path: str, levels=()) -> QuerySet[Place]:
    """The places in the subtree ``path`` (of these levels, when given)."""
    qs = Place.objects.filter(path__startswith=path)
    return qs.filter(level__in=list(levels)) if levels else qs


def place_ids(qs_or_codes) -> QuerySet:
    """The ids of the places with these codes, as a subquery for another app's filter."""
    return Place.objects.filter(code__in=list(qs_or_codes)).values("pk")


def place_names_by_pk(ids) -> dict[int, str]:
    """Id → name of these places, for labelling figures grouped by place."""
    return dict(Place.objects.filter(pk__in=list(ids)).values_list("pk", "name"))


def place_by_code_or_name(value: str, *, level: str, parent=None) -> Place | None:
    """The place of ``level`` (under ``parent``, if given) whose code or name is ``value`` (for imports that accept
    either)."""
    qs = Place.objects.filter(level=level)
    if parent is not None:
        qs = qs.filter(parent=parent)
    return qs.filter(Q(code=value) | Q(name=value)).first()


def place_ids_under(paths) -> QuerySet:
    """The ids of the places in any of the subtrees ``paths`` (every place when none is given), as a subquery for
    another app's filter."""
    q = Q()
    for path in paths:
        q |= Q(path__startswith=path)
    return Place.objects.filter(q).values("pk")


def places_within(paths, *, level: str | None = None) -> list[Place]:
    """The places in the subtrees ``paths`` (each place itself included), of ``level`` when given, in the tree's
    order: the communities an emergency reaches, say. Public reference data."""
    q = Q()
    for path in paths:
        q |= Q(path__startswith=path)
    if not q:
        return []
    qs = Place.objects.filter(q)
    if level:
        qs = qs.filter(level=level)
    return list(qs.order_by("path"))
