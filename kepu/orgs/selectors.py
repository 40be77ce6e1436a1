"""Reads of organizations, scoped to the actor."""

from django.db.models import Q, QuerySet

from kepu.core.actor import Actor
from kepu.core.permissions import get_visible, scope
from kepu.orgs.models import Organization, OrgKind


def organization_list(
    *, actor: Actor, kind: str | None = None, q: str | None = None, place_code: str | None = None
) -> QuerySet[Organization]:
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


def organization_by_pk(pk) -> Organization | None:
    """The organization ``pk`` (with its place), for a service that has already checked the actor's right to
    name it (a unit chosen from the candidates a dispatcher was offered). Not scoped."""
    return Organization.objects.select_related("place").filter(pk=pk).first()


def office_of(place) -> Organization | None:
    """The office of a district or of the city (区科协 / 市科协) placed at ``place``, for documents it issues.
    Not scoped: which office issues a document is public."""
    from kepu.places.selectors import PlaceLevel

    kind = OrgKind.CITY_OFFICE if place.level == PlaceLevel.CITY else OrgKind.DISTRICT_OFFICE
    return Organization.objects.filter(place=place, kind=kind, is_active=True).order_by("pk").first()


def organizations_by_pk(pks) -> list[Organization]:
    """The organizations with these ids (with their places), for a service that checks each itself. Not scoped."""
    return list(Organization.objects.select_related("place").filter(pk__in=list(pks)))


def organizations_under(path: str) -> list[Organization]:
    """The active organizations placed in the subtree ``path`` (with their places), for figures that attribute
    every organization of an area to the one that reports for it. Not scoped."""
    return list(
        Organization.objects.filter(is_active=True, place__path__startswith=path)
        .select_related("place")
        .order_by("place__path", "pk")
    )


def organization_visible(actor: Actor, pk) -> bool:
    """Whether the actor may see the organization ``pk`` (the scope of the orgs policy)."""
    return bool(pk) and scope(actor, Organization.objects.filter(pk=pk)).exists()


def organization_names(pks) -> dict[int, str]:
    """Id → name of these organizations, for labelling figures grouped by organization."""
    return dict(Organization.objects.filter(pk__in=[k for k in pks if k]).values_list("pk", "name"))


def organizations_of_kind(
    kind, *, place_id=None, under_path: str | None = None, place_paths=None
) -> QuerySet[Organization]:
    """The active organizations of ``kind`` (one kind or several), at one place or in a subtree, with their places.
    Not scoped: for services that offer candidates and check the actor themselves."""
    kinds = [kind] if isinstance(kind, str) else list(kind)
    qs = Organization.objects.filter(kind__in=kinds, is_active=True).select_related("place")
    if place_id is not None:
        qs = qs.filter(place_id=place_id)
    if under_path:
        qs = qs.filter(place__path__startswith=under_path)
    if place_paths is not None:
        qs = qs.filter(place__path__in=list(place_paths))
    return qs


def organizations_queryset(pks) -> QuerySet[Organization]:
    """These organizations as a queryset (for a form's choices among organizations the caller already knows)."""
    return Organization.objects.filter(pk__in=list(pks)).order_by("name")


def organizations_named(pks) -> dict[int, Organization]:
    """Id → organization (names, kind and place only), for labelling a plan's units."""
    return {
        o.pk: o for o in Organization.objects.filter(pk__in=pks).only("id", "name", "short_name", "kind", "place_id")
    }


def organization_ids_under(path: str) -> QuerySet:
    """The ids of the organizations placed in the subtree ``path``, as a subquery for another app's filter."""
    return Organization.objects.filter(place__path__startswith=path).values("pk")
