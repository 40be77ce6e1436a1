"""Every write of emergency communication: packs, declaring and closing events, the fan-out, checklists, the
expert team on call, questions and fast-track reviews."""

from __future__ import annotations

import logging
from datetime import timedelta

from django.conf import settings
from django.db import connection, transaction
from django.db.models import Count, F, Q
from django.urls import reverse
from django.utils.translation import gettext
from django.utils.translation import gettext_lazy as _

from kepu.core import clock
from kepu.core.actor import SYSTEM, Actor
from kepu.core.audit import log_action
from kepu.core.errors import Conflict, DomainError, NotAllowed, NotFound
from kepu.core.permissions import require
from kepu.core.roles import Role
from kepu.core.workflow import Step, invalid_input
from kepu.emergency.forms import AnswerForm, EventForm, FastTrackForm, PackForm, QuestionForm
from kepu.emergency.models import (
    CallStatus,
    ChecklistItem,
    Delivery,
    Event,
    EventPlace,
    EventStatus,
    FanOutStep,
    FastTrack,
    Hazard,
    Moment,
    OnCall,
    Pack,
    PackItem,
    PackStatus,
    Question,
    Source,
    Task,
    TimelineEntry,
)
from kepu.emergency.permissions import ChecklistAction, EventAction, PackAction, lives_in, on_duty, runs
from kepu.emergency.workflow import CALL, EVENT, PACK, today

logger = logging.getLogger(__name__)

#: Workers that share the steps of one event's fan-out (a district's places are told in parallel).
FAN_OUT_WORKERS = getattr(settings, "KEPU_EMERGENCY_FAN_OUT_WORKERS", 2)
#: People a channel task hands to SMS and WeChat per transaction.
CHANNEL_BATCH = 500
#: The kind of the residents' messages (inbox, SMS, WeChat).
GUIDANCE = "kepu.emergency.guidance"
#: Minutes an expert of the team has to accept a call before the next is called.
ACCEPT_MINUTES = getattr(settings, "KEPU_EMERGENCY_ACCEPT_MINUTES", 30)
#: The deadline of a fast-track review of a piece written for an event.
FAST_TRACK_HOURS = 2
ELDERLY = "elderly"


class PackExpired(DomainError):
    code = "pack_expired"
    status = 409
    default_message = _(
        "The pack for this hazard is past its review date. Give a reason to send it anyway, or approve it again first."
    )


class PackMissing(DomainError):
    code = "pack_missing"
    status = 409
    default_message = _("No approved pack is prepared for this hazard. Prepare and approve one first.")


def _validated(form, code: str = "") -> dict:
    if not form.is_valid():
        raise invalid_input(form)
    return form.cleaned_data


def _timeline(event: Event, moment: str, *, at=None, place=None, note: str = "") -> None:
    TimelineEntry.objects.create(event=event, moment=moment, at=at or clock.now(), place=place, note=note[:200])


# --- Packs ---------------------------------------------------------------------------------------------
def pack_problems(pack: Pack) -> list[str]:
    """What keeps a pack from being approved or sent: missing parts, pieces no longer published."""
    from kepu.resources.selectors import public_resources

    ids = list(pack.items.values_list("resource_id", flat=True))
    problems = []
    if not ids:
        problems.append(gettext("Add at least one published piece of guidance."))
    if not pack.sms_text.strip():
        problems.append(gettext("Write the SMS text."))
    if not pack.poster_id:
        problems.append(gettext("Choose the poster."))
    if not pack.elder_id:
        problems.append(gettext("Choose the elder-friendly version."))
    wanted = set(ids) | {i for i in (pack.poster_id, pack.elder_id) if i}
    published = {r.pk: r for r in public_resources().filter(pk__in=wanted)}
    gone = sorted(wanted - set(published))
    if gone:
        problems.append(
            gettext("Pieces %(ids)s are not published in the library (any more).") % {"ids": ", ".join(map(str, gone))}
        )
    poster = published.get(pack.poster_id)
    if poster is not None and poster.kind != "poster":
        problems.append(gettext("The poster must be a piece of the kind poster."))
    return problems


def _pack_values(actor: Actor, data) -> dict:
    form = PackForm(data)
    values = _validated(form)
    return values


def _set_items(pack: Pack, ids: list[int]) -> None:
    PackItem.objects.filter(pack=pack).delete()
    PackItem.objects.bulk_create([PackItem(pack=pack, resource_id=i, position=n) for n, i in enumerate(ids)])


@transaction.atomic
def pack_create(*, actor: Actor, data) -> Pack:
    """A new pack of the actor's office (district or city), being prepared until it is approved."""
    require(actor, PackAction.CREATE, Pack)
    values = _pack_values(actor, data)
    pack = Pack.objects.create(
        hazard=values["hazard"],
        organization=actor.organization,
        place_path=actor.area_path,
        title=values["title"].strip(),
        sms_text=values["sms_text"].strip(),
        poster_id=values["poster"],
        elder_id=values["elder"],
        created_by=actor.user,
    )
    _set_items(pack, values["items"])
    log_action(actor, "kepu.emergency.pack_created", pack, data={"hazard": pack.hazard.code})
    return pack


@transaction.atomic
def pack_update(*, actor: Actor, pack: Pack, data) -> Pack:
    pack = Pack.objects.select_for_update().get(pk=pack.pk)
    require(actor, PackAction.CHANGE, pack)
    if pack.status != PackStatus.DRAFT:
        raise Conflict(_("An approved pack is changed only after “Change the pack”."), code="pack_not_draft")
    values = _pack_values(actor, data)
    pack.hazard = values["hazard"]
    pack.title = values["title"].strip()
    pack.sms_text = values["sms_text"].strip()
    pack.poster_id = values["poster"]
    pack.elder_id = values["elder"]
    pack.save()
    _set_items(pack, values["items"])
    log_action(actor, "kepu.emergency.pack_changed", pack)
    return pack


def pack_transition(*, actor: Actor, pack: Pack, action: str, data=None, prefixed: bool = False) -> Pack:
    return PACK.run(actor=actor, obj=pack, name=action, data=data, prefixed=prefixed)


def packs_expire() -> int:
    """Approved packs whose review date passed become "past their review date" (the periodic task)."""
    n = 0
    for pack in Pack.objects.filter(status=PackStatus.APPROVED, review_by__lt=today()):
        PACK.run(actor=SYSTEM, obj=pack, name="expire")
        n += 1
    return n


def pack_for(hazard: Hazard, place_path: str) -> tuple[Pack | None, bool]:
    """The pack sent for ``hazard`` in ``place_path``, and whether it is current (approved, review date not passed).

    The office's own pack wins over the city's; a current pack over one past its review date.
    """
    parts = [p for p in place_path.split("/") if p]
    ancestors = ["/".join(parts[:i]) + "/" for i in range(1, len(parts) + 1)]
    candidates = list(
        Pack.objects.filter(
            hazard=hazard, place_path__in=ancestors, status__in=[PackStatus.APPROVED, PackStatus.EXPIRED]
        ).order_by("-approved_at", "-pk")
    )
    day = today()

    def current(p):
        return p.status == PackStatus.APPROVED and p.review_by is not None and p.review_by >= day

    candidates.sort(key=lambda p: (not current(p), -len(p.place_path)))
    if not candidates:
        return None, False
    return candidates[0], current(candidates[0])


# --- Declaring -----------------------------------------------------------------------------------------
def _common_prefix(paths: list[str]) -> str:
    parts = [p.strip("/").split("/") for p in paths]
    common = []
    for segs in zip(*parts, strict=False):
        if len(set(segs)) != 1:
            break
        common.append(segs[0])
    return "/".join(common) + "/" if common else ""


def _create_event(*, hazard, level, places, starts_at, expected_end, organization, source, feed_id=None) -> Event:
    # A place inside another chosen place adds nobody.
    places = [p for p in places if not any(o is not p and p.path.startswith(o.path) for o in places)]
    level_label = dict(_level_words())[level]
    event = Event.objects.create(
        hazard=hazard,
        level=level,
        title=gettext("%(hazard)s %(level)s warning") % {"hazard": hazard.name, "level": level_label},
        organization=organization,
        place_path=_common_prefix([p.path for p in places]),
        starts_at=starts_at,
        expected_end=expected_end,
        source=source,
        feed_id=feed_id,
    )
    EventPlace.objects.bulk_create([EventPlace(event=event, place=p, place_path=p.path) for p in places])
    return event


def _level_words():
    from kepu.emergency.models import Level

    return Level.choices


@transaction.atomic
def event_declare(*, actor: Actor, data) -> Event:
    """The office declares an event on its form: created and declared in one transaction (all or nothing)."""
    from kepu.places.selectors import places_by_codes

    require(actor, EventAction.DECLARE, Event)
    form = EventForm(data, actor=actor)
    values = _validated(form)
    places = places_by_codes(values["places"])
    if not places or any(not runs(actor, p.path) for p in places):
        raise NotAllowed()
    event = _create_event(
        hazard=values["hazard"],
        level=values["level"],
        places=places,
        starts_at=values["starts_at"],
        expected_end=values["expected_end"],
        organization=actor.organization,
        source=Source.OFFICE,
    )
    return EVENT.run(
        actor=actor, obj=event, name="declare", cleaned={"override_reason": values.get("override_reason", "")}
    )


def event_transition(*, actor: Actor, event: Event, action: str, data=None, reason: str = "", prefixed=False):
    return EVENT.run(actor=actor, obj=event, name=action, data=data, reason=reason, prefixed=prefixed)


def declaring(step: Step) -> None:
    """Apply ``declare``: choose the pack (refusing one past its review date without an audited reason), record
    the moment, give communities their checklist, tell communities and volunteer teams, call the expert team, and
    start the fan-out to residents after commit."""
    event = step.obj
    pack, current = pack_for(event.hazard, event.place_path)
    if pack is None:
        raise PackMissing()
    reason = (step.data.get("override_reason") or "").strip()
    if not current:
        if step.actor.is_system or len(reason) < 2:
            raise PackExpired(data={"fields": {"override_reason": [str(PackExpired.default_message)]}})
        step.put("override_reason", reason[:500])
        log_action(
            step.actor,
            "kepu.emergency.pack_override",
            event,
            data={"pack": pack.pk, "review_by": pack.review_by.isoformat() if pack.review_by else "", "reason": reason},
        )
    problems = pack_problems(pack)
    if problems:
        raise DomainError(problems[0], code="pack_incomplete", status=409)
    step.put("pack", pack)
    step.put("declared_at", step.now)
    step.put("declared_by", step.actor.user if step.actor.is_authenticated else None)
    step.event["pack"] = pack.pk
    step.event["places"] = list(event.places.values_list("place__code", flat=True))
    _timeline(event, Moment.DECLARED, at=step.now)
    communities = _make_checklist(event)
    _tell_area(event, communities, pack)
    call_next(event)
    transaction.on_commit(lambda: _enqueue_fan_out(event.pk))


def _make_checklist(event: Event) -> list:
    from kepu.places.choices import PlaceLevel
    from kepu.places.selectors import places_within

    eps = list(event.places.all())
    communities = places_within([ep.place_path for ep in eps], level=PlaceLevel.COMMUNITY)
    rows = []
    for c in communities:
        ep = next(ep for ep in eps if c.path.startswith(ep.place_path))
        rows += [
            ChecklistItem(event=event, event_place=ep, community=c, community_path=c.path, task=t) for t in Task.values
        ]
    ChecklistItem.objects.bulk_create(rows, batch_size=2000)
    return communities


def _tell_area(event: Event, communities, pack: Pack) -> None:
    """The community workers of every affected community are told first, with the pack's text and their
    checklist, before any resident (the fan-out starts only after this commits; the platform keeps no link to
    residents' families); the volunteer teams of the districts concerned are told too."""
    from kepu.accounts.selectors import staff_of
    from kepu.notifications.services import INBOX, SMS, notify
    from kepu.orgs.selectors import OrgKind, organizations_under

    paths = list(event.places.values_list("place_path", flat=True))
    districts = sorted({"/".join(p.strip("/").split("/")[:2]) + "/" for p in paths})
    orgs = [o for d in districts for o in organizations_under(d)]
    community_paths = {c.path for c in communities}
    committees = [o.pk for o in orgs if o.kind == OrgKind.COMMUNITY and o.place.path in community_paths]
    teams = [o.pk for o in orgs if o.kind == OrgKind.VOLUNTEER_ORG]
    checklist = reverse("emergency:checklist", args=[event.pk])
    notify(
        staff_of(committees, {Role.COMMUNITY_STAFF}),
        title=gettext("Community checklist: %(title)s") % {"title": event.title},
        body=pack.sms_text
        + " "
        + gettext("Put the posters up, tell the group chats, and visit those living alone. Tick each off when done."),
        url=checklist,
        kind="kepu.emergency.checklist",
        channels=(INBOX, SMS),
    )
    notify(
        staff_of(teams, {Role.VOLUNTEER_ORG_STAFF}),
        title=gettext("For volunteer teams: %(title)s") % {"title": event.title},
        body=gettext("Your team's area is affected. The guidance for residents is on the event's page."),
        url=reverse("emergency:public", args=[event.pk]),
        kind="kepu.emergency.team",
    )


def _enqueue_fan_out(event_id: int) -> None:
    from kepu.emergency.tasks import fan_out

    fan_out.enqueue(event_id)


# --- The fan-out ---------------------------------------------------------------------------------------
def _message(event: Event) -> tuple[str, str, str]:
    title = gettext("【%(level)s warning】%(hazard)s") % {
        "level": event.get_level_display(),
        "hazard": event.hazard.name,
    }
    return title, event.pack.sms_text if event.pack_id else "", reverse("emergency:public", args=[event.pk])


def _insert_deliveries(people, *, event: Event, ep: EventPlace, elderly: bool, wave: int, now) -> int:
    """One ``INSERT … SELECT``: a ``Delivery`` per person of ``people`` (a one-column subquery of user ids), in id
    order; a person told meanwhile by another worker is skipped by the unique (event, user). Returns the count."""
    from django.db.models import DateTimeField

    sql, params = people.query.sql_with_params()
    meta = Delivery._meta
    qn = connection.ops.quote_name
    col = {f: qn(meta.get_field(f).column) for f in ("user", "event", "event_place", "elderly", "sent_at", "wave")}
    statement = (
        f"INSERT INTO {qn(meta.db_table)} ({', '.join(col.values())}) "
        f"SELECT q.*, %s, %s, %s, %s, %s FROM ({sql}) q WHERE true ORDER BY 1 "
        f"ON CONFLICT ({col['user']}, {col['event']}) DO NOTHING"
    )
    sent_at = DateTimeField().get_db_prep_save(now, connection)
    with connection.cursor() as cursor:
        cursor.execute(statement, (event.pk, ep.pk, elderly, sent_at, wave, *params))
        return max(cursor.rowcount, 0)


def _take_step(event: Event, ep_ids: list[int], *, elderly: bool) -> bool | None:
    """Take the first step of the phase no other worker holds and run it in one short transaction: the
    deliveries and inbox rows of its place written by two statements in the database, the step marked done and
    the place's count moved, a channel task queued after commit for the SMS and WeChat. True when a step was
    run, False when every step of the phase is done, None when the rest are held by other workers."""
    from kepu.accounts.selectors import people_at_home
    from kepu.notifications.services import inbox_from

    with transaction.atomic():
        steps = FanOutStep.objects.filter(event_place_id__in=ep_ids, elderly=elderly, done_at__isnull=True)
        locked = steps.order_by("pk")
        if connection.features.has_select_for_update_skip_locked:
            # Only the step's row: locking the joined place too would make every other worker skip every step.
            locked = locked.select_for_update(skip_locked=True, of=("self",))
        step = locked.select_related("event_place").first()
        if step is None:
            return None if steps.exists() else False
        ep = step.event_place
        now = clock.now()
        # The second phase asks for everyone but the elderly rather than probing who the first phase told: the
        # unique (user, event) still skips anyone told meanwhile (moved home during the fan-out, say).
        if elderly:
            people = people_at_home(populations=[ELDERLY], place_ids=[step.place_id])
        else:
            people = people_at_home(except_populations=[ELDERLY], place_ids=[step.place_id])
        n = _insert_deliveries(people, event=event, ep=ep, elderly=elderly, wave=step.pk, now=now)
        if n:
            title, body, url = _message(event)
            inbox_from(
                Delivery.objects.filter(event_place=ep, wave=step.pk).order_by().values("user_id"),
                title=title,
                body=body,
                url=url,
                kind=GUIDANCE,
                at=now,
            )
            if Event.objects.filter(pk=event.pk, first_message_at__isnull=True).update(first_message_at=now):
                _timeline(event, Moment.FIRST_MESSAGE, at=now)
            wave = step.pk
            transaction.on_commit(lambda: _enqueue_channels(ep.pk, wave))
        FanOutStep.objects.filter(pk=step.pk).update(done_at=now, sent=n)
        EventPlace.objects.filter(pk=ep.pk).update(sent=F("sent") + n, beat_at=now)
    if not elderly:
        _maybe_reached(event, ep)
    return True


def _maybe_reached(event: Event, ep: EventPlace) -> None:
    """The moment every resident of an affected place was told: once its last step is done (read after the
    step's commit, so the last of several workers to finish sees it)."""
    if FanOutStep.objects.filter(event_place=ep, done_at__isnull=True).exists():
        return
    now = clock.now()
    if EventPlace.objects.filter(pk=ep.pk, reached_at__isnull=True).update(reached_at=now):
        _timeline(event, Moment.PLACE_REACHED, at=now, place=ep.place)


def _enqueue_channels(event_place_id: int, wave: int) -> None:
    from kepu.emergency.tasks import fan_out_channels

    fan_out_channels.enqueue(event_place_id, wave)


def _plan(eps: list[EventPlace]) -> None:
    """The steps of the fan-out: for every place of each affected subtree (itself and every place below it, since
    people may live at any level), its elderly and then everyone else. Made once; a second run adds nothing."""
    from kepu.places.selectors import places_within

    rows = []
    for ep in eps:
        for place in places_within([ep.place_path]):
            rows += [FanOutStep(event_place=ep, place_id=place.pk, elderly=e) for e in (True, False)]
    FanOutStep.objects.bulk_create(rows, ignore_conflicts=True, batch_size=2000)


def fan_out_run(event_id: int) -> None:
    """The first stage of the fan-out (the task): count each place's residents, plan the steps and queue the
    workers that take them (``KEPU_EMERGENCY_FAN_OUT_WORKERS`` of them, sharing the steps)."""
    from kepu.accounts.selectors import people_count_at_home
    from kepu.emergency.tasks import fan_out_work

    event = Event.objects.get(pk=event_id)
    if event.status != EventStatus.DECLARED:
        return
    eps = list(event.places.all())
    for ep in eps:
        if ep.residents is None:
            EventPlace.objects.filter(pk=ep.pk).update(residents=people_count_at_home(place_paths=[ep.place_path]))
    _plan(eps)
    for _n in range(max(1, FAN_OUT_WORKERS)):
        fan_out_work.enqueue(event_id)


def fan_out_work_run(event_id: int, *, wait: float = 0.2) -> int:
    """One worker of the fan-out: steps of the elderly of every affected place while any is left, then steps of
    everyone else; a worker that finds the last elderly steps held by others waits for them, so nobody else is
    told before every elderly resident. Returns the steps it ran."""
    import time

    event = Event.objects.select_related("pack", "hazard").get(pk=event_id)
    if event.status != EventStatus.DECLARED:
        return 0
    ep_ids = list(event.places.values_list("pk", flat=True))
    ran = 0
    while (taken := _take_step(event, ep_ids, elderly=True)) is not False:
        if taken is None:
            time.sleep(wait)
        else:
            ran += 1
    EventPlace.objects.filter(pk__in=ep_ids, elderly_done=False).update(elderly_done=True)
    while (taken := _take_step(event, ep_ids, elderly=False)) is not False:
        if taken is None:
            break  # the rest are being run by others; each marks its place reached
        ran += 1
    for ep in event.places.select_related("place").filter(reached_at__isnull=True):
        _maybe_reached(event, ep)
    return ran


def channels_run(event_place_id: int, wave: int, *, batch: int = CHANNEL_BATCH) -> int:
    """The channel task of one statement of the fan-out: its queued deliveries, a batch at a time, marked handed
    over and sent by SMS and WeChat after each batch's commit (several workers share a wave: a batch locked by
    one is skipped by the others). Nothing goes out for an event closed meanwhile. Returns how many were sent."""
    from kepu.notifications.services import SMS, WECHAT, notify_many

    ep = EventPlace.objects.select_related("event__pack", "event__hazard").get(pk=event_place_id)
    event = ep.event
    if event.status != EventStatus.DECLARED:
        return 0
    title, body, url = _message(event)
    sent = 0
    while True:
        with transaction.atomic():
            queued = Delivery.objects.filter(event_place=ep, wave=wave, channels_at__isnull=True).order_by("pk")
            if connection.features.has_select_for_update_skip_locked:
                queued = queued.select_for_update(skip_locked=True)
            rows = list(queued.values_list("pk", "user_id")[:batch])
            if not rows:
                return sent
            Delivery.objects.filter(pk__in=[pk for pk, _u in rows]).update(channels_at=clock.now())
            sent += notify_many(
                [u for _pk, u in rows], title=title, body=body, url=url, kind=GUIDANCE, channels=(SMS, WECHAT)
            )


def event_read(*, actor: Actor, event: Event) -> bool:
    """A person told about the event opened its page: counted once, for the reach by place."""
    if not actor.is_authenticated:
        return False
    return bool(
        Delivery.objects.filter(event=event, user_id=actor.user_id, read_at__isnull=True).update(read_at=clock.now())
    )


# --- Checklists ----------------------------------------------------------------------------------------
@transaction.atomic
def checklist_tick(*, actor: Actor, item: ChecklistItem, done: bool) -> ChecklistItem:
    item = ChecklistItem.objects.select_for_update().select_related("event").get(pk=item.pk)
    require(actor, ChecklistAction.TICK, item)
    if item.event.status != EventStatus.DECLARED:
        raise Conflict(_("The event is closed; its checklist is kept as it was."), code="event_closed")
    item.done_at = clock.now() if done else None
    item.done_by = actor.user if done else None
    item.save(update_fields=["done_at", "done_by"])
    log_action(
        actor,
        "kepu.emergency.checklist_ticked" if done else "kepu.emergency.checklist_unticked",
        item.event,
        place=None,
        data={"community": item.community.code, "task": item.task},
    )
    return item


# --- The expert team on call ---------------------------------------------------------------------------
def _district_id(path: str):
    from kepu.places.selectors import place_by_path

    parts = [p for p in path.split("/") if p]
    if len(parts) < 2:
        return None
    place = place_by_path("/".join(parts[:2]) + "/")
    return place.pk if place else None


def call_next(event: Event) -> OnCall | None:
    """Call the next member of the emergency team for the hazard's field who was not called for this event yet."""
    from kepu.notifications.services import INBOX, SMS, notify
    from kepu.volunteers.selectors import emergency_roster

    called = set(OnCall.objects.filter(event=event).values_list("expert_id", flat=True))
    roster = [e for e in emergency_roster(event.hazard.expert_field, district_id=_district_id(event.place_path))]
    nxt = next((e for e in roster if e.pk not in called), None)
    now = clock.now()
    if nxt is None:
        if not TimelineEntry.objects.filter(event=event, moment=Moment.ROSTER_EXHAUSTED).exists():
            _timeline(event, Moment.ROSTER_EXHAUSTED, at=now)
        return None
    call = OnCall.objects.create(
        event=event,
        expert_id=nxt.pk,
        user_id=nxt.user_id,
        name=nxt.name,
        called_at=now,
        deadline=now + timedelta(minutes=ACCEPT_MINUTES),
    )
    _timeline(event, Moment.EXPERT_CALLED, at=now, note=nxt.name)
    log_action(None, "kepu.emergency.expert_called", event, data={"expert": nxt.pk})
    url = reverse("emergency:duty")
    notify(
        [call.user],
        title=gettext("You are called on duty: %(title)s") % {"title": event.title},
        body=gettext("Accept within %(n)s minutes, or the next expert of the team is called.") % {"n": ACCEPT_MINUTES},
        url=url,
        kind="kepu.emergency.call",
        channels=(INBOX, SMS),
    )
    return call


def call_answer(*, actor: Actor, call: OnCall, action: str, reason: str = "") -> OnCall:
    if action not in ("accept", "decline"):
        raise NotFound()

    def after(step):
        if action == "accept":
            _timeline(step.obj.event, Moment.EXPERT_ACCEPTED, at=step.now, note=step.obj.name)
        else:
            call_next(step.obj.event)

    return CALL.run(actor=actor, obj=call, name=action, reason=reason, after=after)


def calls_check() -> int:
    """Calls past their deadline are missed and the next expert is called (periodic, and on the office's page)."""
    n = 0
    for call in OnCall.objects.filter(status=CallStatus.CALLED, deadline__lte=clock.now()).select_related("event"):
        with transaction.atomic():
            CALL.run(actor=SYSTEM, obj=call, name="miss")
            if (
                call.event.status == EventStatus.DECLARED
                and not OnCall.objects.filter(
                    event=call.event, status__in=[CallStatus.CALLED, CallStatus.ACCEPTED]
                ).exists()
            ):
                call_next(call.event)
        n += 1
    return n


# --- Questions and answers -----------------------------------------------------------------------------
def may_ask(actor: Actor, event: Event) -> None:
    """Raise unless the actor is a resident of the affected places (checked before the question is read)."""
    if not actor.is_authenticated or not lives_in(actor.user, event):
        raise NotAllowed(_("Questions are taken from residents of the affected places."), code="not_affected")


@transaction.atomic
def question_ask(*, actor: Actor, event: Event, data) -> Question:
    event = Event.objects.select_for_update().get(pk=event.pk)
    may_ask(actor, event)
    if event.status != EventStatus.DECLARED:
        raise Conflict(_("Questions are taken while the event lasts."), code="event_not_open")
    values = _validated(QuestionForm(data))
    q = Question.objects.create(event=event, asked_by=actor.user, text=values["text"].strip(), asked_at=clock.now())
    log_action(actor, "kepu.emergency.question_asked", event, data={"question": q.pk})
    from kepu.notifications.services import notify

    on_duty_users = [
        c.user for c in OnCall.objects.filter(event=event, status=CallStatus.ACCEPTED).select_related("user")
    ]
    notify(
        on_duty_users,
        title=gettext("A resident asks about %(title)s") % {"title": event.title},
        body=q.text,
        url=reverse("emergency:duty"),
        kind="kepu.emergency.question",
    )
    return q


@transaction.atomic
def question_answer(*, actor: Actor, question: Question, data) -> Question:
    question = Question.objects.select_for_update().select_related("event").get(pk=question.pk)
    if not on_duty(actor, question.event):
        raise NotAllowed()
    if question.event.status != EventStatus.DECLARED:
        raise Conflict(_("Questions are taken while the event lasts."), code="event_not_open")
    values = _validated(AnswerForm(data))
    question.answer = values["answer"].strip()
    question.answered_by = actor.user
    question.answered_at = clock.now()
    question.save(update_fields=["answer", "answered_by", "answered_at"])
    log_action(actor, "kepu.emergency.question_answered", question.event, data={"question": question.pk})
    from kepu.notifications.services import notify

    notify(
        [question.asked_by],
        title=gettext("Your question is answered"),
        body=question.answer[:200],
        url=reverse("emergency:public", args=[question.event_id]),
        kind="kepu.emergency.answer",
    )
    return question


# --- Fast-track review ---------------------------------------------------------------------------------
@transaction.atomic
def fast_track(*, actor: Actor, event: Event, data) -> FastTrack:
    """Send a piece written for the event (submitted to the library's review) to the expert on duty, with a
    two-hour deadline: the library's own ``assign`` step, so the review is the library's, not ours."""
    from kepu.resources.services import resource_transition

    require(actor, EventAction.FAST_TRACK, event)
    if event.status != EventStatus.DECLARED:
        raise Conflict(_("Questions are taken while the event lasts."), code="event_not_open")
    values = _validated(FastTrackForm(data))
    duty = OnCall.objects.filter(event=event, status=CallStatus.ACCEPTED).order_by("answered_at").first()
    if duty is None:
        raise Conflict(_("No expert is on duty for this event yet."), code="nobody_on_duty")
    if FastTrack.objects.filter(event=event, resource_id=values["resource"]).exists():
        raise Conflict(_("This piece is already in fast-track review."), code="fast_track_twice")
    r = resource_transition(actor=actor, resource=values["resource"], action="assign", reviewer=duty.user_id)
    now = clock.now()
    ft = FastTrack.objects.create(
        event=event,
        resource_id=r.pk,
        title=r.title,
        reviewer_id=duty.user_id,
        assigned_at=now,
        deadline=now + timedelta(hours=FAST_TRACK_HOURS),
    )
    log_action(actor, "kepu.emergency.fast_track", event, data={"resource": r.pk, "reviewer": duty.user_id})
    from kepu.notifications.services import INBOX, SMS, notify

    notify(
        [duty.user],
        title=gettext("Fast-track review for %(title)s: within two hours") % {"title": event.title},
        body=r.title,
        url=reverse("resources:manage_detail", args=[r.pk]),
        kind="kepu.emergency.fast_track",
        channels=(INBOX, SMS),
    )
    return ft


def fast_tracks_check() -> int:
    """Fast-track reviews past their deadline without a decision go to the next expert of the emergency team (the
    library's own ``escalate`` step, with a new two-hour deadline), and the event's office is told (periodic, every
    minute). A review decided meanwhile is marked and left alone. Returns how many were passed on."""
    from kepu.resources.selectors import review_state

    n = 0
    now = clock.now()
    due = FastTrack.objects.filter(decided_at__isnull=True, deadline__lte=now, event__status=EventStatus.DECLARED)
    for ft in due.select_related("event__hazard", "event__organization"):
        with transaction.atomic():
            ft = FastTrack.objects.select_for_update().select_related("event__hazard").get(pk=ft.pk)
            if ft.decided_at is not None or ft.deadline > now:
                continue
            state = review_state(ft.resource_id)
            if state is None or state[0] != "science_review" or state[1] != ft.reviewer_id:
                ft.decided_at = now
                ft.save(update_fields=["decided_at"])
                continue
            if _escalate(ft, now):
                n += 1
    return n


def _escalate(ft: FastTrack, now) -> bool:
    """Pass one overdue review on to the first expert of the team not asked yet whom the library accepts for the
    piece; tell the office either way. False when nobody is left (the office decides by hand)."""
    from kepu.accounts.selectors import staff_of
    from kepu.notifications.services import INBOX, SMS, notify
    from kepu.resources.services import resource_transition
    from kepu.volunteers.selectors import emergency_roster

    event = ft.event
    asked = {ft.reviewer_id, *ft.passed_over}
    late = ft.reviewer_id
    nxt = None
    for expert in emergency_roster(event.hazard.expert_field, district_id=_district_id(event.place_path)):
        if expert.user_id in asked:
            continue
        try:
            with transaction.atomic():
                resource_transition(
                    actor=SYSTEM,
                    resource=ft.resource_id,
                    action="escalate",
                    reviewer=expert.user_id,
                )
        except DomainError:
            continue  # not an expert the library takes for this piece: the next one
        nxt = expert
        break
    office = staff_of([event.organization_id], {Role.DISTRICT_ADMIN, Role.CITY_ADMIN})
    if nxt is None:
        ft.decided_at = now  # nobody left to pass it to: from now on the office's (and the library's) decision
        ft.save(update_fields=["decided_at"])
        log_action(None, "kepu.emergency.fast_track_unanswered", event, data={"resource": ft.resource_id})
        notify(
            office,
            title=gettext("Fast-track review overdue, nobody left to pass it to: %(title)s") % {"title": ft.title},
            body=gettext("Choose another expert in the library's review."),
            url=reverse("resources:manage_detail", args=[ft.resource_id]),
            kind="kepu.emergency.fast_track_overdue",
            channels=(INBOX, SMS),
        )
        return False
    ft.passed_over = [*ft.passed_over, late]
    ft.reviewer_id = nxt.user_id
    ft.escalations += 1
    ft.assigned_at = now
    ft.deadline = now + timedelta(hours=FAST_TRACK_HOURS)
    ft.save(update_fields=["passed_over", "reviewer", "escalations", "assigned_at", "deadline"])
    log_action(
        None,
        "kepu.emergency.fast_track_escalated",
        event,
        data={"resource": ft.resource_id, "from": late, "to": nxt.user_id},
    )
    url = reverse("resources:manage_detail", args=[ft.resource_id])
    notify(
        [nxt.user],
        title=gettext("Fast-track review for %(title)s: within two hours") % {"title": event.title},
        body=ft.title,
        url=url,
        kind="kepu.emergency.fast_track",
        channels=(INBOX, SMS),
    )
    notify(
        office,
        title=gettext("Fast-track review overdue, passed to %(name)s: %(title)s")
        % {"name": nxt.name, "title": ft.title},
        body=gettext("The expert on duty did not decide within two hours."),
        url=reverse("emergency:event", args=[event.pk]),
        kind="kepu.emergency.fast_track_overdue",
        channels=(INBOX, SMS),
    )
    return True


# --- Closing -------------------------------------------------------------------------------------------
def closing(step: Step) -> None:
    event = step.obj
    step.put("closed_at", step.now)
    step.put("review", step.data["review"].strip())
    _timeline(event, Moment.CLOSED, at=step.now)
    for call in OnCall.objects.filter(event=event, status__in=[CallStatus.CALLED, CallStatus.ACCEPTED]):
        CALL.run(actor=SYSTEM, obj=call, name="release")
    reach = reach_total(event)
    step.event.update({"sent": reach["sent"], "read": reach["read"], "answered": reach["answered"]})


def reach_total(event: Event) -> dict:
    from django.db.models import Sum

    sent = event.places.aggregate(n=Sum("sent"), r=Sum("residents"))
    read = Delivery.objects.filter(event_place__event=event, read_at__isnull=False).count()
    answered = Question.objects.filter(event=event).exclude(answer="").count()
    asked = Question.objects.filter(event=event).count()
    done = ChecklistItem.objects.filter(event=event).aggregate(
        total=Count("pk"), done=Count("pk", filter=Q(done_at__isnull=False))
    )
    return {
        "residents": sent["r"] or 0,
        "sent": sent["n"] or 0,
        "read": read,
        "asked": asked,
        "answered": answered,
        "tasks": done["total"],
        "tasks_done": done["done"],
    }


# --- The warning feed ----------------------------------------------------------------------------------
@transaction.atomic
def feed_receive(*, signature: str, payload: dict) -> tuple[Event, bool]:
    """A signed warning of the feed (checked by ``feed.verify``): an event received for the office of its places,
    declared at once when the hazard's pack is current. Idempotent on the warning's id; a request seen before
    (its signature) is refused as a replay. Returns the event and whether it was created now."""
    from kepu.emergency.models import FeedReceipt
    from kepu.orgs.selectors import office_of
    from kepu.places.selectors import place_by_path, places_by_codes

    now = clock.now()
    FeedReceipt.objects.filter(received_at__lt=now - timedelta(days=1)).delete()
    if FeedReceipt.objects.filter(signature=signature).exists():
        raise Conflict(_("This request was received before (a replay)."), code="feed_replayed", status=409)
    FeedReceipt.objects.create(signature=signature, received_at=now, feed_id=payload["id"])
    existing = Event.objects.filter(feed_id=payload["id"]).first()
    if existing is not None:
        return existing, False
    hazard = Hazard.objects.filter(code=payload["hazard"], active=True).first()
    if hazard is None:
        raise DomainError(_("Unknown hazard."), code="hazard_unknown", status=422)
    places = places_by_codes(payload["places"])
    if not places or len(places) != len(set(payload["places"])):
        raise DomainError(_("Unknown place codes."), code="places_unknown", status=422)
    area = _common_prefix([p.path for p in places])
    parts = [p for p in area.split("/") if p]
    office_place = place_by_path("/".join(parts[:2]) + "/") if len(parts) >= 2 else place_by_path(area)
    office = office_of(office_place) if office_place is not None else None
    if office is None:
        raise DomainError(_("No office runs these places."), code="office_missing", status=422)
    event = _create_event(
        hazard=hazard,
        level=payload["level"],
        places=places,
        starts_at=payload["starts_at"],
        expected_end=payload["expected_end"],
        organization=office,
        source=Source.FEED,
        feed_id=payload["id"],
    )
    log_action(None, "kepu.emergency.feed_received", event, data={"warning": payload["id"]})
    pack, current = pack_for(hazard, event.place_path)
    if current and getattr(settings, "KEPU_EMERGENCY_FEED_DECLARES", True):
        try:
            with transaction.atomic():
                event = EVENT.run(actor=SYSTEM, obj=event, name="auto_declare", cleaned={})
        except DomainError:
            logger.exception("warning %s could not be declared at once", payload["id"])
    if event.status == EventStatus.RECEIVED:
        from kepu.accounts.selectors import staff_of
        from kepu.notifications.services import INBOX, SMS, notify

        notify(
            staff_of([office.pk], {Role.DISTRICT_ADMIN, Role.CITY_ADMIN}),
            title=gettext("A warning waits for you to declare it: %(title)s") % {"title": event.title},
            url=reverse("emergency:event", args=[event.pk]),
            kind="kepu.emergency.received",
            channels=(INBOX, SMS),
        )
    return event, True


# --- Personal data -------------------------------------------------------------------------------------
ERASED_QUESTION = "（提问人已注销）"


@transaction.atomic
def erase_personal_data(actor: Actor, user) -> None:
    """Erasure asked by the person: their questions' words are removed (an answer stays in the FAQ under a neutral
    line, and the figures keep counting it); what was sent to them stays as a count without content."""
    n = Question.objects.filter(asked_by=user).exclude(text=ERASED_QUESTION).update(text=ERASED_QUESTION)
    if n:
        log_action(actor, "kepu.emergency.questions_erased", user, data={"questions": n})
