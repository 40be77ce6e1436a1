"""The order workflow (订单认领模式), declared in one place with ``kepu.core.workflow``.

群众点单 submitted → 社区派单 dispatched (or rejected) → 部门领单 claimed (or handed back) →
志愿组织接单 accepted (or declined) → scheduled → delivered → 群众评单 rated → closed.

Each ``Transition`` says from which states it may be made, into which state it leads, which
roles may make it, which party of the order the actor must be, what it requires (a reason,
its input form), what applies it and when it may not be made yet (``guard``: a service is
recorded as delivered only once it has begun). The services run transitions through
``ORDER.run``; the permission policy, the pages and the API ask ``ORDER.allowed`` and
``ORDER.available``, so there is one answer to "who may do what now".
"""

from __future__ import annotations

from datetime import datetime, timedelta
from decimal import ROUND_HALF_UP, Decimal

from django import forms
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from kepu.core import clock
from kepu.core.actor import Actor
from kepu.core.permissions import covers
from kepu.core.populations import Population
from kepu.core.roles import Role
from kepu.core.workflow import Step, Transition, TransitionForm, Workflow, nobody
from kepu.core.workflow import WrongState as MovedOn
from kepu.orders import photos
from kepu.orders.models import Order, OrderStatus
from kepu.orders.models import Step as DeadlineStep

S = OrderStatus

#: States in which an order is still someone's work.
OPEN_STATES = frozenset({S.SUBMITTED, S.DISPATCHED, S.CLAIMED, S.ACCEPTED, S.SCHEDULED})
#: States an order never leaves.
FINAL_STATES = frozenset({S.CLOSED, S.REJECTED, S.CANCELLED})
#: The order of the main line; a transition never moves an order more than one step along it.
MAIN_LINE = (S.SUBMITTED, S.DISPATCHED, S.CLAIMED, S.ACCEPTED, S.SCHEDULED, S.DELIVERED, S.RATED, S.CLOSED)

#: Which deadline starts when an order enters a state (see ``StepDeadline``).
STEP_ON_ENTRY = {
    S.SUBMITTED: DeadlineStep.DISPATCH,
    S.DISPATCHED: DeadlineStep.CLAIM,
    S.CLAIMED: DeadlineStep.ACCEPT,
    S.ACCEPTED: DeadlineStep.SCHEDULE,
}


class AlreadyTaken(MovedOn):
    code = "already_taken"
    default_message = _("Someone else has already taken this order.")


class WrongState(MovedOn):
    code = "order_state"
    default_message = _("This order has moved on meanwhile. Reload the page to see where it stands.")


# --- Parties: who the actor must be, for this order -------------------------------------
def is_dispatcher(actor: Actor, order: Order) -> bool:
    """Community staff of the order's community; the street office of its street; the district office.

    An order without a community is the street's to dispatch (the community cannot).
    """
    if actor.role == Role.COMMUNITY_STAFF:
        return order.community_id is not None and covers(actor, order.place_path)
    if actor.role in (Role.STREET_STAFF, Role.DISTRICT_ADMIN):
        return covers(actor, order.place_path)
    return False


def is_unit(actor: Actor, order: Order) -> bool:
    return actor.role == Role.UNIT_STAFF and order.unit_id is not None and order.unit_id == actor.organization_id


def is_provider(actor: Actor, order: Order) -> bool:
    if actor.role == Role.VOLUNTEER_ORG_STAFF:
        return order.provider_id is not None and order.provider_id == actor.organization_id
    if actor.role == Role.EXPERT:
        return order.expert_id is not None and order.expert_id == actor.user_id
    return False


def is_district_team(actor: Actor, order: Order) -> bool:
    """Staff of a volunteer organization placed above the order's place (who may grab from the pool)."""
    if actor.role != Role.VOLUNTEER_ORG_STAFF:
        return False
    org_place = actor.place
    return org_place is not None and order.place_path.startswith(org_place.path)


def is_owner(actor: Actor, order: Order) -> bool:
    """The resident who ordered, or the community staff member who ordered for a resident without an account."""
    if actor.role == Role.RESIDENT:
        return order.resident_id is not None and order.resident_id == actor.user_id
    if actor.role == Role.COMMUNITY_STAFF:
        return order.resident_id is None and order.placed_by_id == actor.user_id and covers(actor, order.place_path)
    return False


def unassigned(order: Order) -> bool:
    return order.provider_id is None and order.expert_id is None and not order.in_pool


def assigned(order: Order) -> bool:
    return (order.provider_id is not None or order.expert_id is not None) and not order.in_pool


def not_started(order: Order):
    """A service is recorded as delivered only once it has begun (its scheduled start has passed)."""
    if order.scheduled_for is None or order.scheduled_for <= clock.now():
        return None
    when = timezone.localtime(order.scheduled_for).strftime("%Y-%m-%d %H:%M")
    return _("The service begins at %(when)s; its delivery can be recorded from then on.") % {"when": when}


# --- Inputs: one form per transition that takes input (web and API alike) ------------------
class UnitForm(TransitionForm):
    """Dispatch: the member unit is chosen by the dispatcher, never pre-selected."""

    # Rendered by orders/actions/dispatch.html from ``candidates`` (with the reasons for each).
    unit_id = forms.IntegerField(
        label=_("Member unit"), error_messages={"required": _("Choose the member unit to dispatch to.")}
    )

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        from kepu.orders import suggestions

        self.candidates = suggestions.rank_units(self.obj) if self.obj is not None else []

    def clean_unit_id(self):
        unit_id = self.cleaned_data["unit_id"]
        if not any(c.pk == unit_id for c in self.candidates):
            raise forms.ValidationError(_("Choose a member unit of this district."), code="unit_invalid")
        if self.obj is not None and unit_id == self.obj.unit_id:
            raise forms.ValidationError(_("Choose a different member unit."), code="unit_same")
        return unit_id


class PassOnForm(TransitionForm):
    """Pass on: to a volunteer organization or an expert that serves the order's place."""

    to = forms.ChoiceField(
        label=_("Volunteer organization or expert"),
        widget=forms.RadioSelect,
        required=False,
    )
    provider_id = forms.IntegerField(required=False, widget=forms.HiddenInput)
    expert_id = forms.IntegerField(required=False, widget=forms.HiddenInput)

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        from kepu.orders import suggestions

        self.candidates = suggestions.rank_providers(self.obj) if self.obj is not None else []
        self.fields["to"].choices = [(f"{c.kind}:{c.pk}", c.name) for c in self.candidates]

    def clean(self):
        data = super().clean()
        kind, _sep, pk = (data.get("to") or "").partition(":")
        provider = data.get("provider_id") or (int(pk) if kind == "provider" and pk.isdigit() else None)
        expert = data.get("expert_id") or (int(pk) if kind == "expert" and pk.isdigit() else None)
        if provider is None and expert is None:
            raise forms.ValidationError(_("Choose a volunteer organization or an expert."), code="provider_required")
        wanted = ("provider", provider) if provider is not None else ("expert", expert)
        if not any((c.kind, c.pk) == wanted for c in self.candidates):
            raise forms.ValidationError(
                _("Choose a volunteer organization that serves this place.")
                if provider is not None
                else _("Choose an expert of this district."),
                code="provider_invalid" if provider is not None else "expert_invalid",
            )
        data["provider_id"], data["expert_id"] = (provider, None) if provider is not None else (None, expert)
        return data


class ScheduleForm(TransitionForm):
    scheduled_for = forms.DateTimeField(
        label=_("Date and time"),
        widget=forms.DateTimeInput(attrs={"type": "datetime-local"}, format="%Y-%m-%dT%H:%M"),
        input_formats=["%Y-%m-%dT%H:%M", "%Y-%m-%d %H:%M", "%Y-%m-%dT%H:%M:%S", "%Y-%m-%dT%H:%M:%S%z"],
        error_messages={"required": _("Enter the date and time of the service.")},
    )
    scheduled_place = forms.CharField(
        label=_("Venue"), max_length=200, error_messages={"required": _("Enter where the service takes place.")}
    )
    scheduled_people = forms.CharField(
        label=_("Who will serve"), max_length=200, error_messages={"required": _("Enter who will serve.")}
    )

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        if self.obj is not None and not self.is_bound:
            self.initial.setdefault("scheduled_place", self.obj.address)

    def clean_scheduled_for(self):
        when = self.cleaned_data["scheduled_for"]
        if timezone.is_naive(when):
            when = timezone.make_aware(when)
        if when < clock.now():
            raise forms.ValidationError(_("The service cannot be scheduled in the past."), code="schedule_past")
        return when


class PopulationCountsWidget(forms.Widget):
    """One number per key population: ``<name>_<population>`` on a page, or a mapping in the API's JSON."""

    template_name = "orders/widgets/population_counts.html"

    def value_from_datadict(self, data, files, name):
        value = data.get(name)
        if isinstance(value, dict):
            return value
        return {p: data.get(f"{name}_{p}") for p in Population.values if data.get(f"{name}_{p}") not in (None, "")}

    def value_omitted_from_data(self, data, files, name):
        return False

    def get_context(self, name, value, attrs):
        ctx = super().get_context(name, value, attrs)
        value = value if isinstance(value, dict) else {}
        ctx["widget"]["rows"] = [
            {"name": f"{name}_{p}", "id": f"{attrs.get('id', name)}_{p}", "label": label, "value": value.get(p, "")}
            for p, label in Population.choices
        ]
        return ctx


class PopulationCountsField(forms.Field):
    widget = PopulationCountsWidget

    def to_python(self, value):
        out = {}
        for key, n in (value or {}).items():
            if key not in Population.values:
                raise forms.ValidationError(_("Unknown audience group."), code="attendance_invalid")
            try:
                n = int(n or 0)
            except (TypeError, ValueError):
                raise forms.ValidationError(_("Attendance must be whole numbers."), code="attendance_invalid") from None
            if n < 0 or n > 100000:
                raise forms.ValidationError(_("Attendance must be between 0 and 100,000."), code="attendance_invalid")
            if n:
                out[key] = n
        return out

    def validate(self, value):
        if not value:
            raise forms.ValidationError(_("Enter how many people came, by group."), code="attendance_required")


class ServedWidget(forms.Widget):
    """Who served and for how long: checkboxes and hours on a page, ``[[user_id, hours], …]`` in the API."""

    template_name = "orders/widgets/served.html"

    def __init__(self, *args, team=(), **kwargs):
        super().__init__(*args, **kwargs)
        self.team = list(team)

    def value_from_datadict(self, data, files, name):
        value = data.get(name)
        if isinstance(value, list | tuple):
            return [tuple(v) for v in value]
        getlist = getattr(data, "getlist", None)
        ticked = getlist(name) if getlist else []
        return [(u, data.get(f"{name}_hours_{u}")) for u in ticked]

    def value_omitted_from_data(self, data, files, name):
        return False

    def get_context(self, name, value, attrs):
        ctx = super().get_context(name, value, attrs)
        chosen = {str(u): h for u, h in (value or [])} if isinstance(value, list) else {}
        ctx["widget"]["rows"] = [
            {
                "pk": u.pk,
                "name": u.get_display_name(),
                "checked": str(u.pk) in chosen,
                "hours": chosen.get(str(u.pk), "") or "",
                "hours_name": f"{name}_hours_{u.pk}",
                "id": f"{attrs.get('id', name)}_{u.pk}",
            }
            for u in self.team
        ]
        return ctx


class ServedField(forms.Field):
    """[(user_id, hours)]: each a volunteer (or the expert) of who served; hours chosen, never defaulted,
    and no more than the time since the service began (nobody serves before it starts)."""

    widget = ServedWidget

    def __init__(self, *args, team=(), started=None, **kwargs):
        self.team_ids = {u.pk for u in team}
        self.started = started
        super().__init__(*args, widget=ServedWidget(team=team), required=False, **kwargs)

    def to_python(self, value):
        out = []
        for row in value or ():
            try:
                user_id, hours = row
                user_id = int(user_id)
                hours = Decimal(str(hours)) if hours not in (None, "") else None
            except (TypeError, ValueError, ArithmeticError):
                raise forms.ValidationError(_("Hours must be a number."), code="hours_invalid") from None
            if hours is None:
                raise forms.ValidationError(_("Enter the hours each person served."), code="hours_required")
            if hours <= 0 or hours > 24:
                raise forms.ValidationError(_("Hours must be more than 0 and at most 24."), code="hours_invalid")
            if user_id not in self.team_ids:
                raise forms.ValidationError(
                    _("Only volunteers of the organization that served can be credited."), code="volunteer_invalid"
                )
            out.append((user_id, hours.quantize(Decimal("0.1"), rounding=ROUND_HALF_UP)))
        return out

    def validate(self, value):
        super().validate(value)
        if self.started is None:
            return
        elapsed = Decimal((clock.now() - self.started) / timedelta(hours=1)).quantize(Decimal("0.1"))
        if any(h > elapsed for _u, h in value):
            raise forms.ValidationError(
                _("Hours cannot be more than the time since the service began (%(h)s h).") % {"h": elapsed},
                code="hours_before_start",
            )


class DeliverForm(TransitionForm):
    attendance = PopulationCountsField(label=_("How many people came, by group"))
    notes = forms.CharField(label=_("Notes"), required=False, max_length=2000, widget=forms.Textarea({"rows": 2}))
    photos = photos.PhotosField(label=_("Photos (optional, up to 6)"))

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        team = team_of(self.obj) if self.obj is not None else []
        started = self.obj.scheduled_for if self.obj is not None else None
        self.fields["volunteers"] = ServedField(
            label=_("Who served (for their service hours)"), team=team, started=started
        )


class RateForm(TransitionForm):
    """评单: the resident taps a number of stars; nothing is chosen for them."""

    rating = forms.TypedChoiceField(
        label=_("How satisfied are you with the service?"),
        coerce=int,
        # Highest first: the row is drawn right to left so that the stars up to the tapped one fill.
        choices=[
            (5, _("5 stars: very satisfied")),
            (4, _("4 stars: satisfied")),
            (3, _("3 stars: so-so")),
            (2, _("2 stars: not satisfied")),
            (1, _("1 star: very dissatisfied")),
        ],
        widget=forms.RadioSelect,
        error_messages={
            "required": _("Tap a star to rate, from 1 to 5."),
            "invalid_choice": _("Tap a star to rate, from 1 to 5."),
        },
    )
    comment = forms.CharField(label=_("Comment"), required=False, max_length=1000, widget=forms.Textarea({"rows": 2}))


def team_of(order: Order) -> list:
    """Who may be credited for delivering ``order``: the provider's volunteers and staff, or the expert."""
    from kepu.accounts.selectors import staff_of

    if order.provider_id:
        return sorted(
            staff_of([order.provider_id], (Role.VOLUNTEER, Role.VOLUNTEER_ORG_STAFF)),
            key=lambda u: u.get_display_name(),
        )
    return [order.expert] if order.expert_id else []


# --- What each transition changes ------------------------------------------------------
def _dispatch(step: Step) -> None:
    from kepu.orders.calendar import deadline_for
    from kepu.orgs.selectors import organization_by_pk

    order = step.obj
    unit = organization_by_pk(step.data["unit_id"])
    step.event.update(unit=unit.pk, unit_name=unit.display_name, previous_unit=order.unit_id)
    step.put("unit", unit)
    step.put("dispatched_at", step.now)
    step.put("claim_due_at", deadline_for(STEP_ON_ENTRY[S.DISPATCHED], district_id=order.district_id, start=step.now))


def _hand_back(step: Step) -> None:
    step.event["unit"] = step.obj.unit_id
    for name in ("unit", "claim_due_at", "claimed_on_time", "claimed_at"):
        step.put(name, None)


def _claim(step: Step) -> None:
    order = step.obj
    step.put("claimed_at", step.now)
    step.put("claimed_on_time", order.claim_due_at is None or step.now <= order.claim_due_at)


def _pass_on(step: Step) -> None:
    from kepu.accounts.selectors import membership_of
    from kepu.orgs.selectors import organization_by_pk

    provider = organization_by_pk(step.data["provider_id"]) if step.data["provider_id"] else None
    expert = membership_of(step.data["expert_id"], Role.EXPERT).user if step.data["expert_id"] else None
    step.put("provider", provider)
    step.put("expert", expert)
    step.event.update(
        provider=provider.pk if provider else None,
        expert=expert.pk if expert else None,
        to=provider.display_name if provider else expert.get_display_name(),
    )


def _post_to_pool(step: Step) -> None:
    step.put("in_pool", True)


def _grab(step: Step) -> None:
    org = step.actor.organization
    step.put("provider", org)
    step.put("in_pool", False)
    step.event.update(provider=org.pk, to=org.display_name)


def _decline(step: Step) -> None:
    step.event.update(provider=step.obj.provider_id, expert=step.obj.expert_id)
    step.put("provider", None)
    step.put("expert", None)


def _schedule(step: Step) -> None:
    when: datetime = step.data["scheduled_for"]
    step.put("scheduled_for", when)
    step.put("scheduled_place", step.data["scheduled_place"].strip())
    step.put("scheduled_people", step.data["scheduled_people"].strip())
    step.event.update(scheduled_for=when.isoformat(), place=step.obj.scheduled_place, people=step.obj.scheduled_people)


def _deliver(step: Step) -> None:
    step.put("attendance", step.data["attendance"])
    step.put("delivery_notes", (step.data.get("notes") or "").strip()[:2000])
    step.put("delivered_at", step.now)
    step.event["attendance"] = step.data["attendance"]


def _rate(step: Step) -> None:
    step.put("rating", step.data["rating"])
    step.put("rating_comment", (step.data.get("comment") or "").strip()[:1000])
    step.put("rated_at", step.now)
    step.event["rating"] = step.data["rating"]


DISPATCHERS = frozenset({Role.COMMUNITY_STAFF, Role.STREET_STAFF, Role.DISTRICT_ADMIN})
OWNERS = frozenset({Role.RESIDENT, Role.COMMUNITY_STAFF})
PROVIDERS = frozenset({Role.VOLUNTEER_ORG_STAFF, Role.EXPERT})
UNIT = frozenset({Role.UNIT_STAFF})

ORDER = Workflow(
    "order",
    model=Order,
    audit_prefix="kepu.orders",
    audit_place=lambda order: order.community or order.street,
    wrong_state=WrongState,
    taken=AlreadyTaken,
    transitions=[
        Transition("dispatch", _("Dispatch"), {S.SUBMITTED}, S.DISPATCHED, DISPATCHERS, is_dispatcher,
                   form=UnitForm, apply=_dispatch, template="orders/actions/dispatch.html"),
        Transition("reject", _("Reject"), {S.SUBMITTED}, S.REJECTED, DISPATCHERS, is_dispatcher,
                   needs_reason=True, negative=True),
        Transition("redispatch", _("Re-dispatch"), {S.DISPATCHED}, None, DISPATCHERS, is_dispatcher,
                   needs_reason=True, negative=True, form=UnitForm, apply=_dispatch,
                   template="orders/actions/dispatch.html"),
        Transition("claim", _("Claim (sign for it)"), {S.DISPATCHED}, S.CLAIMED, UNIT, is_unit, apply=_claim),
        Transition("hand_back", _("Hand back"), {S.DISPATCHED, S.CLAIMED}, S.SUBMITTED, UNIT, is_unit,
                   when=unassigned, needs_reason=True, negative=True, apply=_hand_back),
        Transition("pass_on", _("Pass on"), {S.CLAIMED}, None, UNIT, is_unit, when=unassigned, form=PassOnForm,
                   apply=_pass_on, template="orders/actions/pass_on.html"),
        Transition("post_to_pool", _("Post to the order pool"), {S.CLAIMED}, None, UNIT, is_unit, when=unassigned,
                   apply=_post_to_pool),
        Transition("grab", _("Grab"), {S.CLAIMED}, S.ACCEPTED, {Role.VOLUNTEER_ORG_STAFF}, is_district_team,
                   when=lambda o: o.in_pool, apply=_grab),
        Transition("accept", _("Accept"), {S.CLAIMED}, S.ACCEPTED, PROVIDERS, is_provider, when=assigned),
        Transition("decline", _("Decline"), {S.CLAIMED}, None, PROVIDERS, is_provider, when=assigned,
                   needs_reason=True, negative=True, apply=_decline),
        Transition("schedule", _("Schedule"), {S.ACCEPTED}, S.SCHEDULED, PROVIDERS, is_provider, form=ScheduleForm,
                   apply=_schedule),
        Transition("deliver", _("Record delivery"), {S.SCHEDULED}, S.DELIVERED, PROVIDERS, is_provider,
                   guard=not_started, form=DeliverForm, apply=_deliver),
        Transition("rate", _("Rate"), {S.DELIVERED}, S.RATED, OWNERS, is_owner, form=RateForm, apply=_rate,
                   template="orders/actions/rate.html"),
        Transition("close", _("Close"), {S.RATED}, S.CLOSED, DISPATCHERS, is_dispatcher),
        # A delivered order the resident has not rated within the district's rating window (Step.RATE):
        # it counts as completed, and not in the satisfaction rate. The one move that passes "rated".
        Transition("close_unrated", _("Closed without a rating"), {S.DELIVERED}, S.CLOSED, party=nobody,
                   system=True, when=lambda o: o.due_at is not None and o.due_at <= clock.now()),
        Transition("cancel", _("Cancel the order"), {S.SUBMITTED, S.DISPATCHED, S.CLAIMED, S.ACCEPTED}, S.CANCELLED,
                   OWNERS, is_owner, needs_reason=True, negative=True),
    ],
)  # fmt: skip

#: Kept for callers that read the table by name.
TRANSITIONS = ORDER.transitions

#: Which transitions answer "already taken" when someone else was first.
FIRST_COMES = frozenset({"claim", "grab", "accept"})

#: Entries of an order's history that are not transitions.
OTHER_EVENTS = {
    "submit": _("Ordered"),
    "escalate": _("Escalated: overdue"),
    "remind_rate": _("Reminded to rate"),
    "add_photos": _("Photos added"),
}


def action_label(name: str):
    t = TRANSITIONS.get(name)
    return t.label if t is not None else OTHER_EVENTS.get(name, name)


NEGATIVE = frozenset(name for name, t in TRANSITIONS.items() if t.negative)


def allowed(actor: Actor, order: Order, name: str) -> bool:
    return ORDER.allowed(actor, order, name)


def available(actor: Actor, order: Order) -> list[Transition]:
    return ORDER.available(actor, order)


def is_legal_move(from_status: str, to_status: str) -> bool:
    """Whether some transition leads from ``from_status`` to ``to_status`` (used by tests and checks)."""
    return ORDER.is_legal_move(from_status, to_status)
