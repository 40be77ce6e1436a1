"""The roles a person can hold, shared by every app's policy.

A role is held through a membership (person × organization × role). Where a role sits in
the administrative tree decides what its holder may see: see ``Actor.area_path``.
"""

from django.db import models
from django.utils.translation import gettext_lazy as _


class Role(models.TextChoices):
    RESIDENT = "resident", _("Resident")
    COMMUNITY_STAFF = "community_staff", _("Community staff")
    STREET_STAFF = "street_staff", _("Street/town office staff")
    UNIT_STAFF = "unit_staff", _("Member unit staff")
    VOLUNTEER_ORG_STAFF = "volunteer_org_staff", _("Volunteer organization staff")
    VOLUNTEER = "volunteer", _("Science volunteer")
    EXPERT = "expert", _("Science expert")
    BASE_STAFF = "base_staff", _("Science base staff")
    ORG_STAFF = "org_staff", _("Organization staff")
    DISTRICT_ADMIN = "district_admin", _("District office")
    CITY_ADMIN = "city_admin", _("City office")


#: Roles whose holders oversee an area of the tree (the subtree under their organization's place).
AREA_ROLES = frozenset({Role.COMMUNITY_STAFF, Role.STREET_STAFF, Role.DISTRICT_ADMIN, Role.CITY_ADMIN})

#: Roles of offices entitled to read the audit trail of their area.
OFFICE_ROLES = frozenset({Role.DISTRICT_ADMIN, Role.CITY_ADMIN})

#: Everyone who works on the platform for an organization (not a resident acting for themself).
STAFF_ROLES = frozenset(set(Role) - {Role.RESIDENT, Role.VOLUNTEER, Role.EXPERT})

#: Roles of people acting for themselves on the public side: they get the resident layout
#: (bottom tab bar, large cards), as do visitors and people who have not chosen a community yet.
PUBLIC_ROLES = frozenset({Role.RESIDENT, Role.VOLUNTEER})
