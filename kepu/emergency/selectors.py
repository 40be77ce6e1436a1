"""Every read of emergency communication, scoped to the actor (the public page reads declared events only)."""

from __future__ import annotations

from django.db.models import Count, Q, QuerySet

from kepu.core.actor import Actor
from kepu.core.dbrouter import use_replica
from kepu.core.errors import NotFound
from kepu.core.permissions import get_visible, scope
from kepu.emergency.models import (
    CallStatus,
    ChecklistItem,
    Delivery,
    Event,
    EventStatus,
    Hazard,
    OnCall,
    Pack,
    Question,
)

PUBLIC_STATES = (EventStatus.DECLARED, EventStatus.CLOSED)


def hazards() -> QuerySet[Hazard]:
    return Hazard.objects.filter(active=True)


def pack_list(*, actor: Actor) -> QuerySet[Pack]:
    return scope(actor, Pack.objects.select_related("hazard", "organization")).order_by("hazard__position", "-pk")


def pack_get(*, actor: Actor, pk: int) -> Pack:
    return get_visible(actor, Pack.objects.select_related("hazard", "organization"), pk=pk)


def pack_pieces(pack: Pack) -> dict:
    """The pack's pieces as the library shows them (published versions only; a piece gone from it drops out)."""
    from kepu.resources.selectors import public_resources

    ids = list(pack.items.values_list("resource_id", flat=True))
    rows = {r.pk: r for r in public_resources().filter(pk__in=ids + [pack.poster_id or 0, pack.elder_id or 0])}
    return {
        "items": [rows[i] for i in ids if i in rows],
        "poster": rows.get(pack.poster_id),
        "elder": rows.get(pack.elder_id),
    }


def event_list(*, actor: Actor, status: str = "") -> QuerySet[Event]:
    qs = scope(actor, Event.objects.select_related("hazard", "organization"))
    if status == "open":
        qs = qs.filter(status__in=[EventStatus.RECEIVED, EventStatus.DECLARED])
    elif status:
        qs = qs.filter(status=status)
    return qs.order_by("-starts_at", "-pk")


def event_get(*, actor: Actor, pk: int) -> Event:
    return get_visible(actor, Event.objects.select_related("hazard", "pack", "organization"), pk=pk)


def public_event(pk: int) -> Event:
    """A declared (or closed) event, for anybody: its guidance is public."""
    event = Event.objects.select_related("hazard", "pack").filter(pk=pk, status__in=PUBLIC_STATES).first()
    if event is None:
        raise NotFound()
    return event


@use_replica
def public_events(limit: int = 10) -> list[Event]:
    return list(
        Event.objects.filter(status=EventStatus.DECLARED).select_related("hazard").order_by("-starts_at")[:limit]
    )


def reach(event: Event) -> list[dict]:
    """Reach by affected place: residents, messages sent and read, checklist tasks done, when everyone was told."""
    eps = list(event.places.select_related("place"))
    # By place id, not by event: the (event_place, read_at) index answers without touching millions of rows.
    read = dict(
        Delivery.objects.filter(event_place_id__in=[ep.pk for ep in eps], read_at__isnull=False)
        .values_list("event_place")
        .annotate(n=Count("pk"))
        .order_by()
    )
    tasks = {
        row["event_place"]: row
        for row in ChecklistItem.objects.filter(event=event)
        .values("event_place")
        .annotate(total=Count("pk"), done=Count("pk", filter=Q(done_at__isnull=False)))
        .order_by()
    }
    rows = []
    for ep in eps:
        t = tasks.get(ep.pk, {"total": 0, "done": 0})
        total = ep.residents or 0
        rows.append(
            {
                "place": ep.place,
                "residents": ep.residents,
                "sent": ep.sent,
                "read": read.get(ep.pk, 0),
                "percent": round(100 * ep.sent / total) if total else (100 if ep.reached_at else 0),
                "tasks": t["total"],
                "tasks_done": t["done"],
                "reached_at": ep.reached_at,
            }
        )
    return rows


def checklist_for(*, actor: Actor, event: Event) -> list[tuple]:
    """The checklist of the communities in the actor's area for ``event``, grouped by community."""
    items = scope(actor, ChecklistItem.objects.filter(event=event).select_related("community", "done_by"))
    grouped: dict = {}
    for item in items.order_by("community_path", "pk"):
        grouped.setdefault(item.community, []).append(item)
    return list(grouped.items())


def checklist_item(*, actor: Actor, pk: int) -> ChecklistItem:
    return get_visible(actor, ChecklistItem.objects.select_related("event", "community"), pk=pk)


def timeline(event: Event):
    return event.timeline.select_related("place")


def calls(event: Event) -> QuerySet[OnCall]:
    return event.calls.all()


def my_calls(*, actor: Actor) -> QuerySet[OnCall]:
    return scope(actor, OnCall.objects.select_related("event__hazard")).order_by("-called_at")


def call_get(*, actor: Actor, pk: int) -> OnCall:
    return get_visible(actor, OnCall.objects.select_related("event"), pk=pk)


def faq(event: Event) -> QuerySet[Question]:
    """The answered questions: the event's FAQ, public with the event."""
    return event.questions.exclude(answer="").order_by("answered_at", "pk")


def questions_to_answer(*, actor: Actor) -> QuerySet[Question]:
    return scope(actor, Question.objects.filter(answer="", event__status=EventStatus.DECLARED)).select_related("event")


def question_get(*, actor: Actor, pk: int) -> Question:
    return get_visible(actor, Question.objects.select_related("event"), pk=pk)


def on_duty_names(event: Event) -> list[str]:
    return list(event.calls.filter(status=CallStatus.ACCEPTED).values_list("name", flat=True))


def past_events(*, actor: Actor, year: int | None = None) -> QuerySet[Event]:
    """Closed events with their figures: the record for the annual statistics."""
    from django.db.models import Sum

    qs = scope(actor, Event.objects.filter(status=EventStatus.CLOSED).select_related("hazard"))
    if year:
        qs = qs.filter(starts_at__year=year)
    from django.db.models import IntegerField, OuterRef, Subquery
    from django.db.models.functions import Coalesce

    from kepu.emergency.models import EventPlace

    def per_event(rows, total):
        return Coalesce(
            Subquery(rows.values("event").annotate(n=total).values("n")[:1], output_field=IntegerField()), 0
        )

    places = EventPlace.objects.filter(event=OuterRef("pk")).order_by()
    answered = Question.objects.filter(event=OuterRef("pk")).exclude(answer="").order_by()
    return qs.annotate(sent_total=per_event(places, Sum("sent")), answered=per_event(answered, Count("pk"))).order_by(
        "-starts_at"
    )


def worker_todos(actor: Actor) -> list:
    """A community's 待办: checklist tasks of declared events not done yet; an expert's: calls to answer, questions."""
    from django.db.models import Min
    from django.urls import reverse
    from django.utils.translation import gettext_lazy as _

    from kepu.core.home import Todo
    from kepu.core.roles import Role

    if actor.role == Role.EXPERT:
        calls = my_calls(actor=actor).filter(status=CallStatus.CALLED).aggregate(n=Count("pk"), oldest=Min("called_at"))
        questions = questions_to_answer(actor=actor).aggregate(n=Count("pk"), oldest=Min("asked_at"))
        url = reverse("emergency:duty")
        return [
            Todo(_("Emergency calls to answer"), calls["n"], url, calls["oldest"], key="emergency-calls"),
            Todo(_("Residents' questions to answer"), questions["n"], url, questions["oldest"], key="emergency-faq"),
        ]
    open_items = scope(
        actor, ChecklistItem.objects.filter(event__status=EventStatus.DECLARED, done_at__isnull=True)
    ).order_by()
    row = open_items.aggregate(n=Count("pk"), oldest=Min("event__declared_at"), first=Min("event_id"))
    url = reverse("emergency:checklist", args=[row["first"]]) if row["first"] else reverse("emergency:list")
    return [Todo(_("Emergency checklist tasks to do"), row["n"], url, row["oldest"], key="emergency-checklist")]


def personal_data(user) -> dict | None:
    """What emergency communication keeps about a person: the warnings sent to them, the questions they asked."""
    deliveries = Delivery.objects.filter(user=user).select_related("event").order_by("sent_at")
    questions = Question.objects.filter(asked_by=user).select_related("event").order_by("asked_at")
    if not deliveries.exists() and not questions.exists():
        return None
    return {
        "warnings_sent": [
            {
                "event": d.event.title,
                "sent_at": d.sent_at.isoformat(),
                "opened_at": d.read_at.isoformat() if d.read_at else None,
            }
            for d in deliveries
        ],
        "questions": [
            {"event": q.event.title, "question": q.text, "asked_at": q.asked_at.isoformat(), "answer": q.answer}
            for q in questions
        ],
    }
