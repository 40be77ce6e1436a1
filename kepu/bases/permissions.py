"""Who may see and do what with science bases (deny by default).

* Everybody sees the bases in force (certified, term running) on the public list and map, and
  the applications in public notice (公示); those reads go through ``selectors.public_*``.
* The staff of the host organization run their base: its profile, its applications, its
  annual self-reports (``hosts``).
* The office of the level runs the certification and the review: the district office for a
  district-level application (and the annual review of a district-level base), the city office
  for city and national ones (``runs``). A district office sees every base of its district, the
  city office every base.
* An expert sees the applications they were drawn for, and scores only their own sheet.
"""

from __future__ import annotations

from enum import StrEnum

from django.db.models import Q

from kepu.bases.models import AnnualReview, Application, Base, Conflict, Level, ScoreSheet
from kepu.core.actor import Actor
from kepu.core.permissions import Policy, covers, register
from kepu.core.roles import Role

#: The roles in which the staff of a host organization act for its base (a museum, a lab of a unit, an enterprise).
HOST_ROLES = frozenset({Role.BASE_STAFF, Role.ORG_STAFF, Role.UNIT_STAFF})
OFFICES = frozenset({Role.DISTRICT_ADMIN, Role.CITY_ADMIN})


class BaseAction(StrEnum):
    VIEW = "view"
    CHANGE = "change"
    APPLY = "apply"
    #: Act as the base's host: the staff of the organization that hosts it.
    HOST = "host"
    RECORD_NATIONAL = "record_national"
    #: Register a new base for one's own organization (the host's staff).
    REGISTER = "register"
    #: Work on bases at all (the host's staff and the offices; an expert works only on the sheets drawn for them).
    LIST = "list"
    #: Keep the rubrics and national types, reference data (the city office, in the admin), on the model.
    KEEP_STANDARDS = "keep_standards"


class ApplicationAction(StrEnum):
    VIEW = "view"
    RUN = "run"
    #: The experts' names, sheets and scores (and the draws): the office that runs it and the offices above the base.
    VIEW_SCORES = "view_scores"
    #: Take part as an expert (score one's own sheet, withdraw from it): the pages show the expert's side.
    SIT_AS_EXPERT = "sit_as_expert"


class ReviewAction(StrEnum):
    VIEW = "view"
    START = "start"
    SPOT_CHECK = "spot_check"


class SheetAction(StrEnum):
    VIEW = "view"
    SCORE = "score"


class ConflictAction(StrEnum):
    VIEW = "view"
    RECORD = "record"


def hosts(actor: Actor, base: Base) -> bool:
    """access_base_for_host: staff of the organization that hosts the base."""
    return (
        actor.role in HOST_ROLES and actor.organization_id is not None and actor.organization_id == base.organization_id
    )


def oversees(actor: Actor, base: Base) -> bool:
    """The city office, or the district office whose district the base is in."""
    return actor.is_city or (actor.role == Role.DISTRICT_ADMIN and covers(actor, base.place_path))


def office_for(level: str) -> str:
    """The role of the office that certifies and reviews at ``level``."""
    return Role.DISTRICT_ADMIN if level == Level.DISTRICT else Role.CITY_ADMIN


def runs(actor: Actor, level: str, base: Base) -> bool:
    """access_certification_for_office: the office of the level (a district's own district only)."""
    if actor.role != office_for(level):
        return False
    return actor.is_city or covers(actor, base.place_path)


def review_level(base: Base) -> str:
    """District bases are reviewed by their district, city and national ones by the city."""
    return Level.DISTRICT if base.level in ("", Level.DISTRICT) else Level.CITY


def _area_q(actor: Actor, field: str) -> Q:
    return Q(**{f"{field}__startswith": actor.area_path}) if actor.area_path else Q(pk__in=[])


def _of_bases(actor: Actor, queryset, prefix: str = ""):
    """Rows of the bases an actor works on: all for the city, the district's for its office, the host's own."""
    if actor.is_city:
        return queryset
    if actor.role == Role.DISTRICT_ADMIN:
        return queryset.filter(_area_q(actor, f"{prefix}place_path"))
    if actor.role in HOST_ROLES and actor.organization_id:
        return queryset.filter(**{f"{prefix}organization_id": actor.organization_id})
    return None


@register
class BasePolicy(Policy):
    model = Base
    actions = BaseAction

    def scope(self, actor, queryset):
        found = _of_bases(actor, queryset)
        return queryset.none() if found is None else found

    def can(self, actor, action, obj=None):
        if action == BaseAction.KEEP_STANDARDS:
            return actor.is_city
        if obj is None:
            return False
        if action == BaseAction.VIEW:
            return hosts(actor, obj) or oversees(actor, obj)
        if action == BaseAction.HOST:
            return hosts(actor, obj)
        if action in (BaseAction.CHANGE, BaseAction.APPLY):
            return hosts(actor, obj) or (action == BaseAction.CHANGE and oversees(actor, obj))
        if action == BaseAction.RECORD_NATIONAL:
            return actor.is_city
        if action == BaseAction.REGISTER:
            return actor.role in HOST_ROLES
        if action == BaseAction.LIST:
            return actor.role != Role.EXPERT
        return False


@register
class ApplicationPolicy(Policy):
    model = Application
    actions = ApplicationAction

    def scope(self, actor, queryset):
        found = _of_bases(actor, queryset, "base__")
        if found is not None:
            return found
        if actor.role == Role.EXPERT:
            return queryset.filter(sheets__scorer=actor.user).distinct()
        return queryset.none()

    def can(self, actor, action, obj=None):
        if obj is None:
            return False
        if action == ApplicationAction.VIEW:
            return self.scope(actor, Application.objects.filter(pk=obj.pk)).exists()
        if action == ApplicationAction.RUN:
            return runs(actor, obj.level, obj.base)
        if action == ApplicationAction.VIEW_SCORES:
            return runs(actor, obj.level, obj.base) or oversees(actor, obj.base)
        if action == ApplicationAction.SIT_AS_EXPERT:
            return actor.role == Role.EXPERT
        return False


@register
class ReviewPolicy(Policy):
    model = AnnualReview
    actions = ReviewAction

    def scope(self, actor, queryset):
        found = _of_bases(actor, queryset, "base__")
        return queryset.none() if found is None else found

    def can(self, actor, action, obj=None):
        if action in (ReviewAction.START, ReviewAction.SPOT_CHECK):
            return actor.role in OFFICES
        if obj is None:
            return False
        if action == ReviewAction.VIEW:
            return hosts(actor, obj.base) or oversees(actor, obj.base)
        return False


@register
class ScoreSheetPolicy(Policy):
    model = ScoreSheet
    actions = SheetAction

    def scope(self, actor, queryset):
        if actor.is_city:
            return queryset
        if actor.role == Role.EXPERT:
            return queryset.filter(scorer=actor.user)
        if actor.role == Role.DISTRICT_ADMIN:
            return queryset.filter(
                _area_q(actor, "application__base__place_path") | _area_q(actor, "review__base__place_path")
            )
        return queryset.none()

    def can(self, actor, action, obj=None):
        if obj is None:
            return False
        if action == SheetAction.SCORE:
            return actor.role == Role.EXPERT and obj.scorer_id is not None and obj.scorer_id == actor.user.pk
        return False


@register
class ConflictPolicy(Policy):
    model = Conflict
    actions = ConflictAction

    def scope(self, actor, queryset):
        if actor.role in OFFICES:
            return queryset
        if actor.role == Role.EXPERT:
            return queryset.filter(expert__user=actor.user)
        return queryset.none()

    def can(self, actor, action, obj=None):
        if action != ConflictAction.RECORD:
            return False
        # The offices, or the expert themself (obj: the conflict to record, carrying its expert).
        if actor.role in OFFICES:
            return True
        expert = getattr(obj, "expert", None) if isinstance(obj, Conflict) else None
        return actor.role == Role.EXPERT and expert is not None and expert.user_id == actor.user_id
