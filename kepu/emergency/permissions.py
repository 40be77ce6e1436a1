"""Who may see and do what in emergency communication (deny by default).

* The offices run it: a district office prepares its packs, declares events for places of its district and
  follows them; the city office does so for any place. A district office also sees (and may use) the city's packs.
* Street and community staff see the declared events touching their area; community staff tick their own
  community's checklist.
* Experts see the events they were called for, accept or decline the call, and answer questions when on duty.
* Everybody reads a declared event's public page (the guidance, the FAQ); residents of the affected places ask.
"""

from __future__ import annotations

from enum import StrEnum

from django.db.models import Exists, OuterRef, Q

from kepu.core.actor import Actor
from kepu.core.permissions import Policy, covers, register
from kepu.core.roles import Role
from kepu.emergency.models import (
    CallStatus,
    ChecklistItem,
    Event,
    EventPlace,
    EventStatus,
    Hazard,
    OnCall,
    Pack,
    Question,
)

OFFICES = frozenset({Role.DISTRICT_ADMIN, Role.CITY_ADMIN})
AREA_STAFF = frozenset({Role.STREET_STAFF, Role.COMMUNITY_STAFF})


class HazardAction(StrEnum):
    VIEW = "view"


class PackAction(StrEnum):
    VIEW = "view"
    CREATE = "create"
    CHANGE = "change"


class EventAction(StrEnum):
    VIEW = "view"
    DECLARE = "declare"
    #: Follow the events touching one's area on the offices' pages (the offices and the area staff).
    FOLLOW_AREA = "follow_area"
    #: Run an event: its reach, its calls, fast tracks (the offices).
    FOLLOW = "follow"
    FAST_TRACK = "fast_track"


class ChecklistAction(StrEnum):
    VIEW = "view"
    #: Keep a community's checklist at all (the page's question; each item is asked ``TICK``).
    KEEP = "keep"
    TICK = "tick"


class OnCallAction(StrEnum):
    VIEW = "view"
    ACCEPT = "accept"
    DECLINE = "decline"


class QuestionAction(StrEnum):
    VIEW = "view"
    ANSWER = "answer"


def runs(actor: Actor, place_path: str) -> bool:
    """The city office, or the district office whose district holds ``place_path``."""
    return actor.role in OFFICES and covers(actor, place_path)


def _touches(actor: Actor) -> Q:
    """Events with an affected place inside the actor's area, or containing it."""
    area = actor.area_path
    if not area:
        return Q(pk__in=[])
    places = EventPlace.objects.filter(event=OuterRef("pk")).filter(
        Q(place_path__startswith=area) | Q(place_path__in=_ancestors(area))
    )
    return Q(Exists(places))


def _ancestors(path: str) -> list[str]:
    parts = [p for p in path.split("/") if p]
    return ["/".join(parts[:i]) + "/" for i in range(1, len(parts) + 1)]


def event_scope(actor: Actor, qs):
    if actor.is_city:
        return qs
    if actor.role == Role.DISTRICT_ADMIN:
        return qs.filter(Q(place_path__startswith=actor.area_path or "-") | _touches(actor))
    if actor.role in AREA_STAFF:
        return qs.filter(_touches(actor)).exclude(status__in=[EventStatus.RECEIVED, EventStatus.DISMISSED])
    public = Q(status__in=[EventStatus.DECLARED, EventStatus.CLOSED])
    if actor.role == Role.EXPERT and actor.user_id:
        return qs.filter(public | Q(Exists(OnCall.objects.filter(event=OuterRef("pk"), user_id=actor.user_id))))
    # A declared event is public (its guidance page is for everybody); the offices' pages ask for their roles.
    return qs.filter(public) if actor.is_authenticated else qs.none()


@register
class HazardPolicy(Policy):
    model = Hazard
    actions = HazardAction

    def can(self, actor, action, obj=None):
        return action == HazardAction.VIEW

    def scope(self, actor, queryset):
        return queryset


@register
class PackPolicy(Policy):
    model = Pack
    actions = PackAction

    def can(self, actor, action, obj=None):
        if actor.role not in OFFICES:
            return False
        if action == PackAction.CREATE:
            return True
        if action == PackAction.VIEW:
            return covers(actor, obj.place_path) or bool(actor.area_path and actor.area_path.startswith(obj.place_path))
        if action == PackAction.CHANGE:
            return runs(actor, obj.place_path)
        return False

    def scope(self, actor, queryset):
        if actor.is_city:
            return queryset
        if actor.role == Role.DISTRICT_ADMIN and actor.area_path:
            return queryset.filter(
                Q(place_path__startswith=actor.area_path) | Q(place_path__in=_ancestors(actor.area_path))
            )
        return queryset.none()


@register
class EventPolicy(Policy):
    model = Event
    actions = EventAction

    def can(self, actor, action, obj=None):
        if action == EventAction.DECLARE:
            return actor.role in OFFICES
        if action == EventAction.FOLLOW_AREA:
            return actor.role in OFFICES | AREA_STAFF
        if obj is None:
            return False
        if action == EventAction.VIEW:
            return event_scope(actor, Event.objects.filter(pk=obj.pk)).exists()
        if action in (EventAction.FOLLOW, EventAction.FAST_TRACK):
            return actor.role in OFFICES and self.can(actor, EventAction.VIEW, obj)
        return False

    def scope(self, actor, queryset):
        return event_scope(actor, queryset)


@register
class ChecklistPolicy(Policy):
    model = ChecklistItem
    actions = ChecklistAction

    def can(self, actor, action, obj=None):
        if action == ChecklistAction.KEEP:
            return actor.role == Role.COMMUNITY_STAFF
        if action == ChecklistAction.TICK:
            return actor.role == Role.COMMUNITY_STAFF and covers(actor, obj.community_path)
        return action == ChecklistAction.VIEW and self.scope(actor, ChecklistItem.objects.filter(pk=obj.pk)).exists()

    def scope(self, actor, queryset):
        if actor.is_city:
            return queryset
        if actor.role in OFFICES | AREA_STAFF and actor.area_path:
            return queryset.filter(community_path__startswith=actor.area_path)
        return queryset.none()


@register
class OnCallPolicy(Policy):
    model = OnCall
    actions = OnCallAction

    def can(self, actor, action, obj=None):
        if action in (OnCallAction.ACCEPT, OnCallAction.DECLINE):
            return actor.role == Role.EXPERT and obj.user_id == actor.user_id
        return action == OnCallAction.VIEW and self.scope(actor, OnCall.objects.filter(pk=obj.pk)).exists()

    def scope(self, actor, queryset):
        if actor.role == Role.EXPERT:
            return queryset.filter(user_id=actor.user_id)
        if actor.role in OFFICES:
            return queryset.filter(event__in=event_scope(actor, Event.objects.all()))
        return queryset.none()


def on_duty(actor: Actor, event: Event) -> bool:
    return (
        actor.role == Role.EXPERT
        and OnCall.objects.filter(event=event, user_id=actor.user_id, status=CallStatus.ACCEPTED).exists()
    )


def lives_in(user, event: Event) -> bool:
    """Whether the person's home community lies in one of the event's affected places."""
    home = getattr(user, "home_place", None)
    if home is None:
        return False
    return any(home.path.startswith(p) for p in event.places.values_list("place_path", flat=True))


@register
class QuestionPolicy(Policy):
    model = Question
    actions = QuestionAction

    def can(self, actor, action, obj=None):
        if action == QuestionAction.ANSWER:
            return on_duty(actor, obj.event)
        return action == QuestionAction.VIEW and self.scope(actor, Question.objects.filter(pk=obj.pk)).exists()

    def scope(self, actor, queryset):
        if actor.role in OFFICES:
            return queryset.filter(event__in=event_scope(actor, Event.objects.all()))
        if actor.role == Role.EXPERT:
            return queryset.filter(
                event__in=OnCall.objects.filter(user_id=actor.user_id, status=CallStatus.ACCEPTED).values("event")
            )
        return queryset.filter(asked_by_id=actor.user_id)
