"""Emergency pages (thin): the offices' events, declaration, reach and packs; the community's checklist; the
expert's duty; everybody's guidance page for a declared event."""

from __future__ import annotations

from django.contrib import messages
from django.http import Http404
from django.shortcuts import redirect
from django.template.response import TemplateResponse
from django.urls import reverse
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from kepu.core.errors import DomainError, NotFound
from kepu.core.http import errors_into, role_required
from kepu.core.permissions import can
from kepu.core.roles import Role
from kepu.emergency import selectors, services
from kepu.emergency.forms import AnswerForm, EventForm, FastTrackForm, PackForm, QuestionForm
from kepu.emergency.models import ChecklistItem, Event, EventStatus, PackStatus
from kepu.emergency.permissions import ChecklistAction, EventAction
from kepu.emergency.workflow import CALL, EVENT, PACK

OFFICES = (Role.DISTRICT_ADMIN, Role.CITY_ADMIN)
FOLLOWERS = OFFICES + (Role.STREET_STAFF, Role.COMMUNITY_STAFF)


# --- Offices ---------------------------------------------------------------------------------------------
@role_required(*FOLLOWERS)
def event_list(request):
    actor = request.actor
    context = {
        "open": list(selectors.event_list(actor=actor, status="open")[:50]),
        "past": list(selectors.past_events(actor=actor)[:50]),
        "is_office": can(actor, EventAction.DECLARE, Event),
    }
    return TemplateResponse(request, "emergency/list.html", context)


@role_required(*OFFICES)
def declare(request):
    form = EventForm(request.POST or None, actor=request.actor)
    if request.method == "POST" and form.is_valid():
        with errors_into(form):
            event = services.event_declare(actor=request.actor, data=request.POST)
            messages.success(request, _("Declared. The guidance is on its way to the residents."))
            return redirect("emergency:event", event.pk)
    return TemplateResponse(request, "emergency/declare.html", {"form": form})


def _event_context(request, event, *, failed: str = "", failed_form=None) -> dict:
    actor = request.actor
    rows = selectors.reach(event)
    return {
        "event": event,
        "rows": rows,
        "total": services.reach_total(event),
        "timeline": selectors.timeline(event),
        "calls": selectors.calls(event),
        "faq": selectors.faq(event),
        "fast_tracks": event.fast_tracks.all(),
        "is_office": can(actor, EventAction.FOLLOW, event),
        "live": event.status == EventStatus.DECLARED,
        "actions": EVENT.actions(
            actor,
            event,
            url=lambda name: reverse("emergency:event_act", args=[event.pk, name]),
            failed=failed,
            failed_form=failed_form,
        ),
        "fast_track_form": FastTrackForm(),
    }


@role_required(*FOLLOWERS)
def event_detail(request, pk):
    event = selectors.event_get(actor=request.actor, pk=pk)
    if request.htmx and request.GET.get("part") == "reach":
        return TemplateResponse(
            request,
            "emergency/event.html#reach",
            {
                "event": event,
                "rows": selectors.reach(event),
                "total": services.reach_total(event),
                "live": event.status == EventStatus.DECLARED,
            },
        )
    if event.status == EventStatus.DECLARED and can(request.actor, EventAction.FOLLOW, event):
        services.calls_check()
    return TemplateResponse(request, "emergency/event.html", _event_context(request, event))


@require_POST
@role_required(*OFFICES)
def event_act(request, pk, action):
    event = selectors.event_get(actor=request.actor, pk=pk)
    if action not in EVENT:
        raise Http404
    try:
        services.event_transition(
            actor=request.actor,
            event=event,
            action=action,
            data=request.POST,
            reason=request.POST.get(f"{action}-reason", ""),
            prefixed=True,
        )
    except DomainError as exc:  # kept: the failed step's own form is bound again on the fresh event and shown open
        if exc.status in (403, 404):
            raise
        fresh = selectors.event_get(actor=request.actor, pk=pk)
        form = EVENT.bind(EVENT[action], request.actor, fresh, request.POST, prefixed=True)
        if form is not None and exc.data.get("fields"):
            for name, msgs in exc.data["fields"].items():
                for m in msgs:
                    form.add_error(name if name in form.fields else None, m)
        else:
            messages.error(request, exc.message)
        ctx = _event_context(request, fresh, failed=action, failed_form=form)
        return TemplateResponse(request, "emergency/event.html", ctx, status=exc.status if exc.status < 500 else 400)
    messages.success(request, _("Done: %(action)s.") % {"action": EVENT[action].label})
    return redirect("emergency:event", pk)


@require_POST
@role_required(*OFFICES)
def fast_track(request, pk):
    event = selectors.event_get(actor=request.actor, pk=pk)
    services.fast_track(actor=request.actor, event=event, data=request.POST)
    messages.success(request, _("The piece is with the expert on duty, to be reviewed within two hours."))
    return redirect("emergency:event", pk)


@role_required(*OFFICES)
def past(request):
    year = request.GET.get("year", "")
    events = selectors.past_events(actor=request.actor, year=int(year) if year.isdigit() else None)
    return TemplateResponse(request, "emergency/past.html", {"events": events, "year": year})


# --- Packs -----------------------------------------------------------------------------------------------
@role_required(*OFFICES)
def pack_list(request):
    return TemplateResponse(request, "emergency/packs.html", {"packs": selectors.pack_list(actor=request.actor)})


@role_required(*OFFICES)
def pack_new(request):
    form = PackForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        with errors_into(form):
            pack = services.pack_create(actor=request.actor, data=request.POST)
            return redirect("emergency:pack", pack.pk)
    return TemplateResponse(request, "emergency/pack_form.html", {"form": form})


@role_required(*OFFICES)
def pack_detail(request, pk):
    pack = selectors.pack_get(actor=request.actor, pk=pk)
    form = None
    if pack.status == PackStatus.DRAFT:
        initial = {
            "hazard": pack.hazard_id,
            "title": pack.title,
            "sms_text": pack.sms_text,
            "items": ", ".join(str(i) for i in pack.items.values_list("resource_id", flat=True)),
            "poster": pack.poster_id,
            "elder": pack.elder_id,
        }
        form = PackForm(request.POST or None, initial=initial)
        if request.method == "POST" and form.is_valid():
            with errors_into(form):
                services.pack_update(actor=request.actor, pack=pack, data=request.POST)
                messages.success(request, _("Saved."))
                return redirect("emergency:pack", pack.pk)
    context = {
        "pack": pack,
        "pieces": selectors.pack_pieces(pack),
        "problems": services.pack_problems(pack),
        "form": form,
        "actions": PACK.actions(
            request.actor, pack, url=lambda name: reverse("emergency:pack_act", args=[pack.pk, name])
        ),
        "waiting": PACK.waiting(request.actor, pack),
    }
    return TemplateResponse(request, "emergency/pack.html", context)


@require_POST
@role_required(*OFFICES)
def pack_act(request, pk, action):
    pack = selectors.pack_get(actor=request.actor, pk=pk)
    if action not in PACK:
        raise Http404
    services.pack_transition(actor=request.actor, pack=pack, action=action, data=request.POST, prefixed=True)
    messages.success(request, _("Done: %(action)s.") % {"action": PACK[action].label})
    return redirect("emergency:pack", pk)


# --- Communities -----------------------------------------------------------------------------------------
@role_required(*FOLLOWERS)
def checklist(request, pk):
    event = selectors.event_get(actor=request.actor, pk=pk)
    groups = selectors.checklist_for(actor=request.actor, event=event)
    return TemplateResponse(
        request,
        "emergency/checklist.html",
        {"event": event, "groups": groups, "may_tick": can(request.actor, ChecklistAction.KEEP, ChecklistItem)},
    )


@require_POST
@role_required(Role.COMMUNITY_STAFF)
def tick(request, pk):
    item = selectors.checklist_item(actor=request.actor, pk=pk)
    item = services.checklist_tick(actor=request.actor, item=item, done=request.POST.get("done") == "1")
    if request.htmx:
        return TemplateResponse(request, "emergency/checklist.html#item", {"item": item, "may_tick": True})
    return redirect("emergency:checklist", item.event_id)


# --- Experts on duty -------------------------------------------------------------------------------------
@role_required(Role.EXPERT)
def duty(request):
    calls = list(selectors.my_calls(actor=request.actor)[:30])
    for call in calls:
        call.actions = CALL.actions(
            request.actor, call, url=lambda name, c=call: reverse("emergency:call_act", args=[c.pk, name])
        )
    return TemplateResponse(
        request,
        "emergency/duty.html",
        {"calls": calls, "questions": selectors.questions_to_answer(actor=request.actor), "form": AnswerForm()},
    )


@require_POST
@role_required(Role.EXPERT)
def call_act(request, pk, action):
    call = selectors.call_get(actor=request.actor, pk=pk)
    if action not in CALL:
        raise Http404
    services.call_answer(actor=request.actor, call=call, action=action, reason=request.POST.get(f"{action}-reason", ""))
    messages.success(request, _("Done: %(action)s.") % {"action": CALL[action].label})
    return redirect("emergency:duty")


@require_POST
@role_required(Role.EXPERT)
def answer(request, pk):
    question = selectors.question_get(actor=request.actor, pk=pk)
    services.question_answer(actor=request.actor, question=question, data=request.POST)
    messages.success(request, _("Your answer is published in the event's questions and answers."))
    return redirect("emergency:duty")


# --- Everybody -------------------------------------------------------------------------------------------
def public(request, pk):
    event = selectors.public_event(pk)
    services.event_read(actor=request.actor, event=event)
    form = QuestionForm(request.POST or None)
    if request.method == "POST":
        if not request.actor.is_authenticated:
            raise NotFound()
        services.may_ask(request.actor, event)  # a stranger is refused, not shown the form's errors
        if form.is_valid():
            with errors_into(form):
                services.question_ask(actor=request.actor, event=event, data=request.POST)
                messages.success(request, _("Your question is sent to the experts on duty."))
                return redirect("emergency:public", pk)
    context = {
        "event": event,
        "pieces": selectors.pack_pieces(event.pack) if event.pack_id else {"items": []},
        "faq": selectors.faq(event),
        "form": form,
        "open": event.status == EventStatus.DECLARED,
    }
    return TemplateResponse(request, "emergency/public.html", context)
