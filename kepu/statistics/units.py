"""Who files a form, and whose records each form counts (填报单位 and what they report for).

The filers of a district are its member units, its science bases, its street and town offices and
the district office itself. Every other active organization of the district is counted in exactly
one filer's form, by the first rule that applies:

1. an organization supervised by a filer (``Organization.parent``, up the chain) counts with it
   (the national survey's "an organization sums up its subordinate bodies");
2. one placed in a street or town, or in a community under it, counts with that street's office
   (communities, civilization-practice stations, schools, teams of the street);
3. anything else (a district-level volunteer team, the practice centre) counts with the district office.

So a form's ``scope`` is the filer and the organizations it files for, and the scopes of a
district never overlap: the same record is counted twice only when it belongs to two
organizations of different scopes (a co-hosted activity, a volunteer of two teams), which the
roll-up removes.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from kepu.core.roles import Role
from kepu.statistics.models import FilerKind

#: The role that fills the form of each kind of filer.
FILER_ROLE = {
    FilerKind.MEMBER_UNIT: Role.UNIT_STAFF,
    FilerKind.STREET_OFFICE: Role.STREET_STAFF,
    FilerKind.SCIENCE_BASE: Role.BASE_STAFF,
    FilerKind.DISTRICT_OFFICE: Role.DISTRICT_ADMIN,
}
FILER_ROLES = frozenset(FILER_ROLE.values())


@dataclass
class Filer:
    organization: object
    kind: str
    scope: set[int] = field(default_factory=set)


def filers_of(district) -> list[Filer]:
    """The filers of ``district`` (a Place) with the organizations each files for, in a stable order."""
    from kepu.orgs.selectors import organizations_under

    orgs = organizations_under(district.path)
    by_pk = {o.pk: o for o in orgs}
    filers = {o.pk: Filer(o, o.kind, {o.pk}) for o in orgs if o.kind in FilerKind.values}
    office = next((f for f in filers.values() if f.kind == FilerKind.DISTRICT_OFFICE), None)
    streets = {f.organization.place.path: f for f in filers.values() if f.kind == FilerKind.STREET_OFFICE}
    for org in orgs:
        if org.pk in filers:
            continue
        owner = None
        parent, hops = by_pk.get(org.parent_id), 0
        while parent is not None and owner is None and hops < 10:
            owner = filers.get(parent.pk)
            parent, hops = by_pk.get(parent.parent_id), hops + 1
        if owner is None:
            owner = next((f for path, f in streets.items() if org.place.path.startswith(path)), None)
        if owner is None:
            owner = office
        if owner is not None:
            owner.scope.add(org.pk)
    order = list(FilerKind.values)
    return sorted(filers.values(), key=lambda f: (order.index(f.kind), f.organization.place.path, f.organization.pk))
