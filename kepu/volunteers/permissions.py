"""Who may see and do what with volunteers, needs, hours and experts (deny by default).

* A volunteer sees their own profile, sign-ups, hours and reports, whatever role they act in.
* A volunteer organization's staff see the volunteers who belong to it or asked to join,
  its needs and sign-ups, its hours ledger, and decide join requests and hours reports.
* Offices (community, street, district, city) see what belongs to organizations in their area.
* Full ID numbers and phones are for the person themself, the city and district offices of the
  area, and the staff of an organization the volunteer belongs to (they register volunteers with
  the national system). Every full view is audited by the service that shows it.
* The expert library is shared by all staff; experts' phones are for the offices.
"""

from __future__ import annotations

from enum import StrEnum

from django.db.models import Exists, OuterRef, Q

from kepu.accounts.selectors import is_member, memberships
from kepu.core.permissions import Policy, covers, register
from kepu.core.roles import AREA_ROLES, STAFF_ROLES, Role
from kepu.volunteers.models import (
    Certificate,
    Expert,
    ExpertInvitation,
    HoursEntry,
    HoursReport,
    ImportJob,
    JoinRequest,
    JoinStatus,
    Need,
    SignUp,
    Training,
    Volunteer,
)


class VolunteerAction(StrEnum):
    VIEW = "view"
    VIEW_PII = "view_pii"
    CHANGE = "change"
    ANONYMIZE = "anonymize"
    #: Add a correction to a volunteer's hours (the organization's staff, from the volunteer's page).
    CORRECT_HOURS = "correct_hours"
    #: Export volunteers' personal data (hours for the national system, member lists), on the model.
    EXPORT_PII = "export_pii"


def _is_org_staff(actor, organization_id) -> bool:
    return actor.role == Role.VOLUNTEER_ORG_STAFF and actor.organization_id == organization_id


def _org_q(actor, field: str = "organization") -> Q | None:
    """Rows of organizations the actor may oversee: an area for offices, the own organization for staff."""
    if actor.role in AREA_ROLES and actor.area_path:
        return Q(**{f"{field}__place__path__startswith": actor.area_path})
    if actor.role in STAFF_ROLES and actor.organization_id:
        return Q(**{f"{field}_id": actor.organization_id})
    return None


def _filter(actor, queryset, q: Q | None, own: Q):
    if actor.is_city:
        return queryset
    return queryset.filter(own if q is None else (q | own))


def _member_of(actor_org_id: int):
    return Exists(memberships(user=OuterRef("user"), organization=actor_org_id, role=Role.VOLUNTEER))


@register
class VolunteerPolicy(Policy):
    model = Volunteer
    actions = VolunteerAction

    def scope(self, actor, queryset):
        own = Q(user=actor.user)
        if actor.is_city:
            return queryset
        if actor.role in AREA_ROLES and actor.area_path:
            in_area_orgs = Exists(memberships(user=OuterRef("user"), role=Role.VOLUNTEER, under_path=actor.area_path))
            return queryset.filter(Q(street__path__startswith=actor.area_path) | in_area_orgs | own)
        if actor.role == Role.VOLUNTEER_ORG_STAFF and actor.organization_id:
            # An applicant is seen while their request waits; once it is decided, only members are.
            asked = Exists(
                JoinRequest.objects.filter(
                    volunteer=OuterRef("pk"), organization_id=actor.organization_id, status=JoinStatus.PENDING
                )
            )
            return queryset.filter(_member_of(actor.organization_id) | asked | own)
        return queryset.filter(own)

    def can(self, actor, action, obj=None):
        if action == VolunteerAction.EXPORT_PII:
            return may_export_pii(actor)
        if obj is None:
            return False
        is_self = obj.user_id is not None and obj.user_id == actor.user.pk
        visible = is_self or self.scope(actor, Volunteer.objects.filter(pk=obj.pk)).exists()
        if action == VolunteerAction.VIEW:
            return visible
        if action == VolunteerAction.VIEW_PII:
            # Access to personal data ends with the relationship: an organization's staff see the full
            # numbers of their current members only, never of an applicant (pending or rejected).
            if is_self or (visible and (actor.is_city or actor.role == Role.DISTRICT_ADMIN)):
                return True
            return (
                actor.role == Role.VOLUNTEER_ORG_STAFF
                and obj.user_id is not None
                and is_member(obj.user_id, actor.organization_id, Role.VOLUNTEER)
            )
        if action == VolunteerAction.CHANGE:
            return is_self
        if action == VolunteerAction.CORRECT_HOURS:
            return actor.role == Role.VOLUNTEER_ORG_STAFF
        if action == VolunteerAction.ANONYMIZE:
            return is_self or (visible and (actor.is_city or actor.role == Role.DISTRICT_ADMIN))
        return False


def may_export_pii(actor) -> bool:
    """Exports holding personal data: the offices and volunteer organizations that must file them."""
    return actor.is_city or actor.role in (Role.DISTRICT_ADMIN, Role.VOLUNTEER_ORG_STAFF)


def export_organization_id(actor) -> int | None:
    """Whose members a members export holds: a volunteer organization's staff export their own organization's
    only; an office (``None``) everything its scope shows."""
    return actor.organization_id if actor.role == Role.VOLUNTEER_ORG_STAFF else None


class OrgAction(StrEnum):
    VIEW = "view"
    DECIDE = "decide"
    MANAGE = "manage"
    CHECK_IN = "check_in"
    CORRECT = "correct"
    #: Post a new need (volunteer organizations recruit for their own needs).
    CREATE = "create"


@register
class JoinRequestPolicy(Policy):
    model = JoinRequest
    actions = OrgAction

    def scope(self, actor, queryset):
        q = _org_q(actor)
        own = Q(volunteer__user=actor.user)
        return _filter(actor, queryset, q, own)

    def can(self, actor, action, obj=None):
        if action == OrgAction.DECIDE:
            return _is_org_staff(actor, obj.organization_id)
        return action == OrgAction.VIEW and self.scope(actor, JoinRequest.objects.filter(pk=obj.pk)).exists()


@register
class NeedPolicy(Policy):
    model = Need
    actions = OrgAction

    def scope(self, actor, queryset):
        q = _org_q(actor)
        mine = Q(organization_id__in=memberships(user=actor.user, role=Role.VOLUNTEER).values("organization_id")) | Q(
            leader=actor.user
        )
        return _filter(actor, queryset, q, mine)

    def can(self, actor, action, obj=None):
        if action == OrgAction.CREATE:
            return actor.role == Role.VOLUNTEER_ORG_STAFF
        if action == OrgAction.MANAGE:
            return _is_org_staff(actor, obj.organization_id)
        if action == OrgAction.CHECK_IN:
            return _is_org_staff(actor, obj.organization_id) or (
                obj.leader_id is not None and obj.leader_id == actor.user.pk
            )
        if action == OrgAction.VIEW:
            return self.scope(actor, Need.objects.filter(pk=obj.pk)).exists()
        return False


@register
class SignUpPolicy(Policy):
    model = SignUp
    actions = OrgAction

    def scope(self, actor, queryset):
        q = _org_q(actor, "need__organization")
        own = Q(volunteer__user=actor.user) | Q(need__leader=actor.user)
        return _filter(actor, queryset, q, own)


@register
class HoursEntryPolicy(Policy):
    model = HoursEntry
    actions = OrgAction

    def scope(self, actor, queryset):
        q = _org_q(actor)
        own = Q(volunteer__user=actor.user)
        return _filter(actor, queryset, q, own)

    def can(self, actor, action, obj=None):
        if action == OrgAction.CORRECT:
            return actor.is_city or _is_org_staff(actor, obj.organization_id)
        return False


@register
class HoursReportPolicy(Policy):
    model = HoursReport
    actions = OrgAction

    def scope(self, actor, queryset):
        q = _org_q(actor)
        own = Q(volunteer__user=actor.user)
        return _filter(actor, queryset, q, own)

    def can(self, actor, action, obj=None):
        if action == OrgAction.DECIDE:
            return _is_org_staff(actor, obj.organization_id)
        return False


@register
class CertificatePolicy(Policy):
    model = Certificate
    actions = OrgAction

    def scope(self, actor, queryset):
        return queryset.filter(volunteer__user=actor.user)


@register
class TrainingPolicy(Policy):
    """Courses are listed for everyone signed in; their organizer (or an office over it) runs them."""

    model = Training
    actions = OrgAction

    def scope(self, actor, queryset):
        return queryset

    def can(self, actor, action, obj=None):
        if action == OrgAction.CREATE:
            return actor.role in STAFF_ROLES
        if action == OrgAction.MANAGE:
            if actor.is_city:
                return True
            if actor.role == Role.DISTRICT_ADMIN:
                return covers(actor, obj.organization.place.path)
            return actor.role in STAFF_ROLES and actor.organization_id == obj.organization_id
        return action == OrgAction.VIEW


class ExpertAction(StrEnum):
    VIEW = "view"
    VIEW_PII = "view_pii"
    MANAGE = "manage"
    INVITE = "invite"
    #: Add an expert to the library (the offices).
    CREATE = "create"
    #: Place an expert in any district (the city office); a district office adds experts of its own district.
    CHOOSE_DISTRICT = "choose_district"


@register
class ExpertPolicy(Policy):
    model = Expert
    actions = ExpertAction

    def scope(self, actor, queryset):
        if actor.is_city or actor.role in STAFF_ROLES:
            return queryset
        return queryset.filter(user=actor.user)

    def can(self, actor, action, obj=None):
        if action == ExpertAction.VIEW:
            return actor.role in STAFF_ROLES or obj.user_id == actor.user.pk
        if action in (ExpertAction.VIEW_PII, ExpertAction.MANAGE):
            if obj is not None and obj.user_id == actor.user.pk and action == ExpertAction.VIEW_PII:
                return True
            return actor.is_city or (actor.role == Role.DISTRICT_ADMIN and covers(actor, obj.district.path))
        if action == ExpertAction.CREATE:
            return actor.role in (Role.DISTRICT_ADMIN, Role.CITY_ADMIN)
        if action == ExpertAction.CHOOSE_DISTRICT:
            return actor.is_city
        if action == ExpertAction.INVITE:
            return actor.role in STAFF_ROLES and actor.organization_id is not None
        return False


class InvitationAction(StrEnum):
    VIEW = "view"
    RECORD_OUTCOME = "record_outcome"


@register
class ExpertInvitationPolicy(Policy):
    model = ExpertInvitation
    actions = InvitationAction

    def scope(self, actor, queryset):
        q = _org_q(actor)
        own = Q(expert__user=actor.user)
        return _filter(actor, queryset, q, own)

    def can(self, actor, action, obj=None):
        if action == InvitationAction.RECORD_OUTCOME:
            return actor.is_city or actor.organization_id == obj.organization_id
        return False


class ImportAction(StrEnum):
    VOLUNTEERS = "volunteers"
    EXPERTS = "experts"


@register
class ImportJobPolicy(Policy):
    model = ImportJob
    actions = ImportAction

    def scope(self, actor, queryset):
        return queryset.filter(created_by=actor.user)

    def can(self, actor, action, obj=None):
        # A volunteer organization imports its members; the offices import experts into the library.
        if action == ImportAction.VOLUNTEERS:
            return actor.role == Role.VOLUNTEER_ORG_STAFF
        if action == ImportAction.EXPERTS:
            return actor.role in (Role.DISTRICT_ADMIN, Role.CITY_ADMIN)
        return False
