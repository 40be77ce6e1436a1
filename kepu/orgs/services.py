"""Writes to organizations."""

from __future__ import annotations

from typing import TYPE_CHECKING

from django.db import transaction
from django.utils.translation import gettext as _

from kepu.core.actor import Actor
from kepu.core.audit import log_action
from kepu.core.errors import DomainError
from kepu.core.permissions import get_visible, require
from kepu.orgs.models import Organization, OrgKind
from kepu.orgs.permissions import OrgAction
from kepu.places.choices import PlaceLevel

if TYPE_CHECKING:
    from kepu.places.models import Place

#: Where each kind of organization sits in the tree.
KIND_LEVELS = {
    OrgKind.CITY_OFFICE: {PlaceLevel.CITY},
    OrgKind.DISTRICT_OFFICE: {PlaceLevel.DISTRICT},
    OrgKind.MEMBER_UNIT: {PlaceLevel.DISTRICT, PlaceLevel.CITY},
    OrgKind.STREET_OFFICE: {PlaceLevel.STREET},
    OrgKind.COMMUNITY: {PlaceLevel.COMMUNITY},
    OrgKind.PRACTICE_CENTER: {PlaceLevel.DISTRICT},
    OrgKind.PRACTICE_STATION: {PlaceLevel.STREET, PlaceLevel.COMMUNITY},
}


def _clean_name(name: str) -> str:
    name = (name or "").strip()
    if not name:
        raise DomainError(_("An organization needs a name."), code="org_name_required", data={"field": "name"})
    return name


def _check_name_free(place: Place, name: str, *, exclude_pk: int | None = None) -> None:
    taken = Organization.objects.filter(place=place, name=name).exclude(pk=exclude_pk)
    if taken.exists():
        raise DomainError(
            _("An organization of this name exists here already."), code="org_exists", data={"field": "name"}
        )


def _check_kind_place(kind: str, place: Place) -> None:
    allowed = KIND_LEVELS.get(kind)
    if allowed and place.level not in allowed:
        raise DomainError(
            _("A %(kind)s cannot be placed at a %(level)s.")
            % {"kind": OrgKind(kind).label, "level": PlaceLevel(place.level).label},
            code="org_place_level",
        )


@transaction.atomic
def organization_create(
    *,
    actor: Actor,
    name: str,
    kind: str,
    place: Place,
    short_name: str = "",
    parent: Organization | None = None,
    aliases: list[str] | None = None,
    topics: list[str] | None = None,
    address: str = "",
) -> Organization:
    require(actor, OrgAction.CREATE, Organization(kind=kind, place=place))
    name = _clean_name(name)
    _check_kind_place(kind, place)
    _check_name_free(place, name)
    if parent is not None:  # naming an organization the actor cannot see is naming nothing
        parent = get_visible(actor, Organization.objects.all(), pk=parent.pk)
    org = Organization.objects.create(
        name=name,
        short_name=short_name.strip(),
        kind=kind,
        place=place,
        parent=parent,
        aliases=aliases or [],
        topics=topics or [],
        address=address,
    )
    log_action(actor, "kepu.orgs.created", org)
    return org


@transaction.atomic
def organization_update(*, actor: Actor, org: Organization, **fields) -> Organization:
    org = Organization.objects.select_for_update().get(pk=org.pk)
    require(actor, OrgAction.CHANGE, org)
    allowed = {"name", "short_name", "aliases", "topics", "address", "is_active"}
    if "name" in fields:
        fields["name"] = _clean_name(fields["name"])
        _check_name_free(org.place, fields["name"], exclude_pk=org.pk)
    changed = {k: v for k, v in fields.items() if k in allowed and getattr(org, k) != v}
    for key, value in changed.items():
        setattr(org, key, value)
    if changed:
        org.save(update_fields=[*changed, "updated_at"])
        log_action(actor, "kepu.orgs.updated", org, data={"fields": sorted(changed)})
    return org
