"""Who may see and run activities, registrations and venues.

* Everybody (anonymous visitors included, through ``selectors.public_activities``) sees
  published public activities.
* Staff of the organizing organization manage its activities: edit, publish, check people
  in, see the registrations. The district office of the activity's place manages them too,
  and reviews them where review is required; the city office may do everything.
* Street and community offices see (but do not run) every activity in their area.
* Any staff member may register others (a teacher for a class, a community worker for
  elderly residents) for a published activity.
* A person sees and cancels their own registrations and those they made for others.
"""

from __future__ import annotations

from enum import StrEnum

from django.db.models import Q, QuerySet

from kepu.activities.models import (
    Activity,
    ActivityStatus,
    DeliveredService,
    DistrictActivitySettings,
    FiguresMonth,
    Registration,
    Session,
    Venue,
)
from kepu.core.permissions import Policy, covers, register
from kepu.core.roles import AREA_ROLES, STAFF_ROLES, Role


class ActivityAction(StrEnum):
    VIEW = "view"
    CREATE = "create"
    MANAGE = "manage"
    REVIEW = "review"
    REGISTER_OTHERS = "register_others"
    REPORT = "report"
    #: The figures (sessions, person-times) of what one's organization or area holds: staff, on the model.
    VIEW_FIGURES = "view_figures"
    #: Keep the theme calendar, reference data (the city office, in the admin), on the model.
    KEEP_CALENDAR = "keep_calendar"


class RegistrationAction(StrEnum):
    VIEW = "view"
    CANCEL = "cancel"
    ACCEPT = "accept"
    DECIDE = "decide"
    CHECK_IN = "check_in"
    SURVEY = "survey"


class DistrictSettingAction(StrEnum):
    #: Whether the district's activities go through review before they are published.
    SET = "set"


class VenueAction(StrEnum):
    VIEW = "view"
    CREATE = "create"
    MANAGE = "manage"


def manages(actor, activity) -> bool:
    """access_activity_for_management: the organizer's staff, the district office of its place, the city."""
    if not actor.is_authenticated or actor.membership is None:
        return False
    if actor.is_city:
        return True
    if actor.role in STAFF_ROLES and activity.organization_id == actor.organization_id:
        return True
    if actor.role == Role.DISTRICT_ADMIN and covers(actor, activity.place_path):
        return True
    return False


def public_q() -> Q:
    return Q(status=ActivityStatus.PUBLISHED, is_public=True)


@register
class ActivityPolicy(Policy):
    model = Activity
    actions = ActivityAction

    def scope(self, actor, queryset):
        if actor.is_city:
            return queryset
        visible = public_q()
        if actor.role in STAFF_ROLES and actor.organization_id:
            visible |= Q(organization_id=actor.organization_id)
        if actor.role in AREA_ROLES and actor.area_path:
            visible |= Q(place_path__startswith=actor.area_path)
        return queryset.filter(visible)

    def can(self, actor, action, obj=None):
        if action == ActivityAction.VIEW_FIGURES:
            return actor.role in STAFF_ROLES
        if action == ActivityAction.KEEP_CALENDAR:
            return actor.is_city
        if obj is None:
            return False
        if action == ActivityAction.VIEW:
            if obj.status == ActivityStatus.PUBLISHED and obj.is_public:
                return True
            if actor.role in AREA_ROLES and covers(actor, obj.place_path):
                return True
            return manages(actor, obj)
        if action == ActivityAction.CREATE:
            # Staff publish for their own organization; offices also for the organizations of their area.
            if actor.role not in STAFF_ROLES or actor.membership is None:
                return False
            if obj.organization_id == actor.organization_id:
                return True
            return actor.role in (Role.DISTRICT_ADMIN, Role.CITY_ADMIN) and covers(actor, obj.organization.place.path)
        if action in (ActivityAction.MANAGE, ActivityAction.REPORT):
            return manages(actor, obj)
        if action == ActivityAction.REVIEW:
            return actor.is_city or (actor.role == Role.DISTRICT_ADMIN and covers(actor, obj.place_path))
        if action == ActivityAction.REGISTER_OTHERS:
            return actor.role in STAFF_ROLES and obj.status == ActivityStatus.PUBLISHED
        return False


@register
class RegistrationPolicy(Policy):
    model = Registration
    actions = RegistrationAction

    def scope(self, actor, queryset):
        if actor.is_city:
            return queryset
        mine = Q(user=actor.user) | Q(registered_by=actor.user)
        if actor.role in STAFF_ROLES and actor.organization_id:
            mine |= Q(session__activity__organization_id=actor.organization_id)
        if actor.role == Role.DISTRICT_ADMIN and actor.area_path:
            mine |= Q(session__activity__place_path__startswith=actor.area_path)
        return queryset.filter(mine)

    def can(self, actor, action, obj=None):
        if obj is None:
            return False
        own = obj.user_id == actor.user.pk or obj.registered_by_id == actor.user.pk
        activity = obj.session.activity
        if action in (RegistrationAction.VIEW, RegistrationAction.CANCEL):
            return own or manages(actor, activity)
        if action == RegistrationAction.ACCEPT:
            return own
        if action in (RegistrationAction.DECIDE, RegistrationAction.CHECK_IN):
            return manages(actor, activity)
        if action == RegistrationAction.SURVEY:
            return obj.user_id == actor.user.pk
        return False


@register
class VenuePolicy(Policy):
    model = Venue
    actions = VenueAction

    def scope(self, actor, queryset):
        if actor.is_city:
            return queryset
        q = Q(organization_id=actor.organization_id) if actor.role in STAFF_ROLES else Q(pk__in=[])
        if actor.role == Role.DISTRICT_ADMIN and actor.area_path:
            q |= Q(place__path__startswith=actor.area_path)
        return queryset.filter(q)

    def can(self, actor, action, obj=None):
        if obj is None or actor.membership is None:
            return False
        if actor.is_city:
            return True
        if actor.role in STAFF_ROLES and obj.organization_id == actor.organization_id:
            return True
        return actor.role == Role.DISTRICT_ADMIN and covers(actor, obj.place.path)


@register
class DistrictSettingsPolicy(Policy):
    """A district's activity settings: its own district office, or the city office."""

    model = DistrictActivitySettings
    actions = DistrictSettingAction

    def scope(self, actor, queryset):
        if actor.is_city:
            return queryset
        if actor.role == Role.DISTRICT_ADMIN and actor.place is not None:
            return queryset.filter(district_id=actor.place.pk)
        return queryset.none()

    def can(self, actor, action, obj=None):
        if obj is None or actor.membership is None:
            return False
        if actor.is_city:
            return True
        return actor.role == Role.DISTRICT_ADMIN and actor.place is not None and actor.place.pk == obj.district_id


# --- The figures an actor may count (sessions, services delivered, the monthly roll-up) --------------------
def session_figures(actor) -> QuerySet[Session]:
    """Sessions whose figures the actor may see: the area for offices, their own organization's otherwise."""
    qs = Session.objects.filter(counted=True, is_cancelled=False)
    if actor.is_city:
        return qs
    if actor.role in AREA_ROLES and actor.area_path:
        if actor.role == Role.DISTRICT_ADMIN and actor.place is not None:
            return qs.filter(district_code=actor.place.district_code or actor.place.code)
        return qs.filter(place_path__startswith=actor.area_path)
    return qs.filter(organization_id_copy=actor.organization_id)


def delivered_service_figures(actor) -> QuerySet[DeliveredService]:
    """Services delivered outside an activity whose figures the actor may see (the same areas as sessions)."""
    qs = DeliveredService.objects.filter(activity__isnull=True)  # those delivered as an activity count there
    if actor.is_city:
        return qs
    if actor.role in AREA_ROLES and actor.area_path:
        return qs.filter(place_path__startswith=actor.area_path)
    return qs.filter(organization_id=actor.organization_id)


def rollup_figures(actor) -> QuerySet[FiguresMonth]:
    """The roll-up rows whose figures the actor may see (the same areas as ``session_figures``)."""
    qs = FiguresMonth.objects.all()
    if actor.is_city:
        return qs
    if actor.role in AREA_ROLES and actor.area_path:
        if actor.role == Role.DISTRICT_ADMIN and actor.place is not None:
            return qs.filter(district_code=actor.place.district_code or actor.place.code)
        return qs.filter(place_path__startswith=actor.area_path)
    return qs.filter(organization_id=actor.organization_id)
