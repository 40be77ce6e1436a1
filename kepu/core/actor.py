"""Who is acting: a user together with the membership (role) they are acting in."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from kepu.core.roles import AREA_ROLES, Role


@dataclass(frozen=True)
class Actor:
    """A user acting in one of their roles.

    Every service and selector takes an ``Actor``; views build it once per request (see
    ``kepu.accounts.middleware``). Anonymous visitors are an ``Actor`` with no user.
    """

    user: Any = None
    membership: Any = None
    #: The platform itself (periodic tasks): may make only the transitions declared ``system``.
    system: bool = False

    @property
    def is_system(self) -> bool:
        return self.system

    @property
    def is_authenticated(self) -> bool:
        return bool(self.user is not None and self.user.is_authenticated)

    @property
    def role(self) -> str | None:
        return self.membership.role if self.membership else None

    @property
    def organization(self):
        return self.membership.organization if self.membership else None

    @property
    def organization_id(self) -> int | None:
        return self.membership.organization_id if self.membership else None

    @property
    def place(self):
        org = self.organization
        return org.place if org else None

    @property
    def is_city(self) -> bool:
        return self.role == Role.CITY_ADMIN

    def has_role(self, *roles: str) -> bool:
        return self.role in roles

    @property
    def area_path(self) -> str | None:
        """The materialized path of the subtree this actor oversees, or None.

        Only area roles (community, street, district, city) oversee a subtree; the others
        see their own organization's records and what was routed to them.
        """
        if self.role in AREA_ROLES and self.place is not None:
            return self.place.path
        return None

    @property
    def user_id(self):
        return self.user.pk if self.is_authenticated else None

    def __str__(self) -> str:
        if self.system:
            return "system"
        if not self.is_authenticated:
            return "anonymous"
        return f"{self.user} as {self.role or '-'}"


ANONYMOUS = Actor()
#: The platform acting on its own (deadlines, closing unrated orders): audited without a person.
SYSTEM = Actor(system=True)
