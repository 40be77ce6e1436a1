"""Who may see people and their personal data, and manage memberships.

* The city office sees everybody; a district, street or community office sees the people
  who belong to organizations in its area (residents included: they belong to their
  community).
* Staff of any other organization see the people of their own organization.
* A resident, volunteer or expert sees only themself.

Profile facts that figures are counted by (the key population) are set by the person, or by
the offices of their area (a community worker for an elderly resident); every change is audited.

Full personal data (the whole phone number) is for those who must call: the offices of the
area and the person themself. Every full view is audited (``services.person_reveal_phone``).
"""

from enum import StrEnum

from django.db.models import Q

from kepu.accounts.models import ApiToken, Invitation, Membership, User
from kepu.core.permissions import Policy, covers, register
from kepu.core.roles import AREA_ROLES, STAFF_ROLES, Role
from kepu.orgs.selectors import organization_ids_under


class PersonAction(StrEnum):
    VIEW = "view"
    VIEW_PII = "view_pii"
    # Profile facts other apps count by (the key population): the person, or the offices of their area,
    # who register elderly residents and classes and know them.
    EDIT_PROFILE = "edit_profile"
    ANONYMIZE = "anonymize"


def area_memberships(actor):
    """Active memberships in the actor's area (area roles) or organization (other staff).

    A semi-join on memberships (indexed by organization) rather than a per-person EXISTS, so
    that a district office's list of a million residents is a probe by primary key.
    """
    memberships = Membership.objects.filter(is_active=True)
    if actor.area_path:
        # Organizations of the area first (hundreds), then their memberships through the index.
        orgs = organization_ids_under(actor.area_path)
        memberships = memberships.filter(organization_id__in=orgs)
    else:
        memberships = memberships.filter(organization_id=actor.organization_id)
    return memberships


@register
class PersonPolicy(Policy):
    model = User
    actions = PersonAction

    def scope(self, actor, queryset):
        if actor.is_city:
            return queryset
        if actor.role in STAFF_ROLES and actor.membership is not None:
            # Staff are members of their own organization, so they are in this set themselves.
            return queryset.filter(pk__in=area_memberships(actor).values("user_id"))
        return queryset.filter(pk=actor.user.pk)

    def can(self, actor, action, obj=None):
        if obj is None:
            return False
        is_self = obj.pk == actor.user.pk
        if action == PersonAction.VIEW:
            return is_self or self.scope(actor, User.objects.filter(pk=obj.pk)).exists()
        if action == PersonAction.VIEW_PII:
            if is_self or actor.is_city:
                return True
            return actor.role in AREA_ROLES and self.scope(actor, User.objects.filter(pk=obj.pk)).exists()
        if action == PersonAction.EDIT_PROFILE:
            if is_self or actor.is_city:
                return True
            return actor.role in AREA_ROLES and self.scope(actor, User.objects.filter(pk=obj.pk)).exists()
        if action == PersonAction.ANONYMIZE:
            # The person, or the office answerable for the data of the area they belong to.
            if is_self or actor.is_city:
                return True
            return actor.role == Role.DISTRICT_ADMIN and self.scope(actor, User.objects.filter(pk=obj.pk)).exists()
        return False


class MembershipAction(StrEnum):
    CREATE = "create"
    END = "end"


@register
class MembershipPolicy(Policy):
    model = Membership
    actions = MembershipAction

    def scope(self, actor, queryset):
        if actor.is_city:
            return queryset
        if actor.area_path:
            return queryset.filter(Q(organization__place__path__startswith=actor.area_path) | Q(user=actor.user))
        if actor.role in STAFF_ROLES:
            return queryset.filter(Q(organization_id=actor.organization_id) | Q(user=actor.user))
        return queryset.filter(user=actor.user)

    def can(self, actor, action, obj=None):
        if action in (MembershipAction.CREATE, MembershipAction.END):
            if actor.is_city:
                return True
            # Offices appoint people in their area (but not to their own rank or above);
            # an organization's staff manage its own members and staff.
            if actor.role in (Role.DISTRICT_ADMIN, Role.STREET_STAFF, Role.COMMUNITY_STAFF):
                return covers(actor, obj.organization.place.path) and obj.role not in (Role.CITY_ADMIN, actor.role)
            if actor.role in STAFF_ROLES:
                return obj.organization_id == actor.organization_id
            return False
        return False


class TokenAction(StrEnum):
    VIEW = "view"
    REVOKE = "revoke"


@register
class ApiTokenPolicy(Policy):
    model = ApiToken
    actions = TokenAction

    def scope(self, actor, queryset):
        return queryset.filter(user=actor.user)

    def can(self, actor, action, obj=None):
        return obj is not None and obj.user_id == actor.user.pk


class InvitationAction(StrEnum):
    VIEW = "view"
    ANSWER = "answer"


@register
class InvitationPolicy(Policy):
    """An invitation is the invited person's: only they see it and answer it."""

    model = Invitation
    actions = InvitationAction

    def scope(self, actor, queryset):
        if not actor.is_authenticated:
            return queryset.none()
        return queryset.filter(user=actor.user)

    def can(self, actor, action, obj=None):
        return obj is not None and actor.is_authenticated and obj.user_id == actor.user.pk
