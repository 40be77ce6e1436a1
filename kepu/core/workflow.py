"""State machines, declared once per workflow, in the one pattern every app shares.

A workflow is a table of ``Transition``s on one model's state field. Each transition says
from which states it may be made and into which state it leads, which roles may make it,
which party of the object the actor must be (``party``), what else must hold (``when``),
whether it needs a reason, which form is its input, and which function applies it. The
policy, the pages and the API all ask the machine (``allowed``, ``available``); the
services carry transitions out through ``run`` (lock, check, validate the input, apply,
save, audit, signal after commit) or, where a service has more to do around the change
(capacity, waiting lists), through ``check`` and ``move`` inside its own transaction.

Why one pattern: the figures leaders rank districts by come out of these machines, so
"who may do what now" must have one answer, written where it can be read and tested.

    REVIEW = Workflow(
        "activity", model=Activity, audit_prefix="kepu.activities",
        transitions=[
            Transition("approve", _("Approve"), sources={A.IN_REVIEW}, target=A.PUBLISHED,
                       roles={Role.DISTRICT_ADMIN}, party=reviews, apply=_published),
            Transition("reject", _("Send back"), sources={A.IN_REVIEW}, target=A.REJECTED,
                       roles={Role.DISTRICT_ADMIN}, party=reviews, needs_reason=True, negative=True),
        ],
    )

A transition's ``form`` is a ``TransitionForm`` (a Django form that also receives the actor
and the object): the page renders it, the web view and the API feed it the request's data,
and the apply function reads ``step.data`` (its ``cleaned_data``). Nothing is parsed by hand.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from django import forms
from django.db import models, transaction
from django.dispatch import Signal
from django.utils.datastructures import MultiValueDict
from django.utils.translation import gettext_lazy as _

from kepu.core import clock
from kepu.core.actor import Actor
from kepu.core.audit import log_action, register_workflow_labels
from kepu.core.errors import Conflict, DomainError, NotAllowed

#: Sent after the commit of every transition made through ``Workflow.run`` or ``move``.
#: Arguments: ``workflow`` (its name), ``obj``, ``transition`` (its name), ``from_state``,
#: ``to_state``, ``actor``. Receivers must not assume a request; they run once per commit.
transitioned = Signal()


class WrongState(Conflict):
    """The object is not (or no longer) in a state this transition can be made from."""

    code = "wrong_state"
    default_message = _("This has moved on meanwhile. Reload the page to see where it stands.")


class TooEarly(DomainError):
    """The move is the actor's to make, but not yet (a delivery before the service began)."""

    code = "too_early"
    status = 409
    default_message = _("This cannot be recorded yet.")


class UnknownTransition(DomainError):
    code = "transition_unknown"
    status = 404
    default_message = _("Unknown action.")


class InputInvalid(DomainError):
    """The transition's input did not validate; ``data["fields"]`` maps field names to messages."""

    code = "input_invalid"
    default_message = _("Please correct the marked fields.")


class ReasonMissing(DomainError):
    code = "reason_required"
    default_message = _("Give a reason (at least two characters).")


def invalid_input(form) -> InputInvalid:
    """The error for a form that did not validate: the first message, the code of its error (a stable,
    per-field code such as ``hours_before_start`` where the field gives one), and every field's messages."""
    errors = {name: [str(m) for m in msgs] for name, msgs in form.errors.items()}
    first = next(iter(form.errors.as_data().values()))[0]
    message = next(iter(errors.values()))[0]
    return InputInvalid(message, code=first.code or InputInvalid.code, data={"fields": errors})


def anyone(actor: Actor, obj: Any) -> bool:  # noqa: ARG001 - the default party
    return True


def always(obj: Any) -> bool:  # noqa: ARG001 - the default condition
    return True


def nobody(actor: Actor, obj: Any) -> bool:  # noqa: ARG001 - party of system transitions
    return False


class TransitionForm(forms.Form):
    """The input of one transition. Receives the acting ``actor`` and the object ``obj``,
    so choices can be scoped to them (the units a dispatcher may choose, say)."""

    def __init__(self, *args, actor: Actor | None = None, obj: Any = None, **kwargs):
        self.actor = actor
        self.obj = obj
        super().__init__(*args, **kwargs)


@dataclass
class Step:
    """One transition being made: what ``apply`` functions and hooks receive."""

    actor: Actor
    obj: Any
    transition: Transition
    data: dict
    reason: str
    now: datetime
    from_state: str
    to_state: str | None = None
    changed: set[str] = field(default_factory=set)
    #: What the audit entry (and an app's history row) records beside from, to and reason.
    event: dict = field(default_factory=dict)
    #: Anything a before-hook wants to hand to an after-hook (a roll-up snapshot, say).
    memo: dict = field(default_factory=dict)

    def put(self, name: str, value) -> None:
        setattr(self.obj, name, value)
        self.changed.add(name)


@dataclass(frozen=True)
class Transition:
    name: str
    label: Any
    sources: frozenset
    #: The state it leads to; None keeps the state (a re-dispatch, a hand-over); for a transition
    #: whose apply function decides between states, list them in ``targets`` and set ``step.to_state``.
    target: str | None
    roles: frozenset = frozenset()
    party: Callable[[Actor, Any], bool] = anyone
    when: Callable[[Any], bool] = always
    needs_reason: bool = False
    form: type[TransitionForm] | None = None
    apply: Callable[[Step], None] | None = None
    #: A step back or a refusal (shown as a secondary button, counted as such in histories).
    negative: bool = False
    #: Made by the platform itself (periodic tasks), with ``SYSTEM`` as the actor; no role may ask.
    system: bool = False
    targets: frozenset = frozenset()
    #: The audit code; defaults to ``<audit_prefix>.<name>``.
    audit: str = ""
    #: Why the transition cannot be made yet although state, role and party allow it (a delivery
    #: before the service starts): returns the message to show (or the ``DomainError`` to raise, for
    #: a stable code of its own), or None. Judged by ``kepu.core.clock``.
    guard: Callable[[Any], Any] | None = None
    #: Template of the transition's form on a page, where the generic field list is not enough.
    template: str = ""
    help: Any = ""

    def __post_init__(self):
        object.__setattr__(self, "sources", frozenset(self.sources))
        object.__setattr__(self, "roles", frozenset(self.roles))
        object.__setattr__(self, "targets", frozenset(self.targets))

    def possible_targets(self, from_state: str) -> frozenset:
        if self.targets:
            return self.targets
        return frozenset({self.target if self.target is not None else from_state})


#: Every workflow declared, for checks over all of them (tests, docs).
WORKFLOWS: list[Workflow] = []


class Workflow:
    """One declared state machine over ``model.<state_field>``."""

    def __init__(
        self,
        name: str,
        *,
        model: type[models.Model],
        audit_prefix: str,
        transitions: Iterable[Transition],
        state_field: str = "status",
        before: Callable[[Step], None] | None = None,
        after: Callable[[Step], None] | None = None,
        audit_place: Callable[[Any], Any] | None = None,
        wrong_state: type[DomainError] = None,
        taken: type[DomainError] = None,
    ):
        self.name = name
        self.model = model
        self.audit_prefix = audit_prefix
        self.state_field = state_field
        self.transitions: dict[str, Transition] = {}
        for t in transitions:
            if t.name in self.transitions:
                raise ValueError(f"{name}: transition {t.name!r} declared twice")
            self.transitions[t.name] = t
        self.before = before
        self.after = after
        self.audit_place = audit_place
        #: What the right party hears when they came too late: the object moved on, or (for the
        #: "first one wins" transitions, ``run(first_comes=True)``) someone else took it.
        self.wrong_state = wrong_state or WrongState
        self.taken = taken or self.wrong_state
        WORKFLOWS.append(self)
        states = {value for value, _label in model._meta.get_field(state_field).choices}
        for t in self.transitions.values():
            unknown = (set(t.sources) | set(t.targets) | ({t.target} if t.target else set())) - states
            if unknown:
                raise ValueError(f"{name}.{t.name}: unknown states {sorted(unknown)}")
        # The trail reads "Activity: Approve and publish" for a code no app put into words of its own.
        register_workflow_labels(
            model._meta.verbose_name, {self.audit_code(t.name): t.label for t in self.transitions.values()}
        )

    def __iter__(self):
        return iter(self.transitions.values())

    def __contains__(self, name: str) -> bool:
        return name in self.transitions

    def __getitem__(self, name: str) -> Transition:
        return self.transitions[name]

    # --- Questions ------------------------------------------------------------------
    def get(self, name: str) -> Transition:
        try:
            return self.transitions[name]
        except KeyError:
            raise UnknownTransition() from None

    def audit_code(self, name: str) -> str:
        """The audit code of transition ``name`` (services that ``move`` write their own entry with it)."""
        t = self.get(name)
        return t.audit or f"{self.audit_prefix}.{t.name}"

    def state_of(self, obj) -> str:
        return getattr(obj, self.state_field)

    def allowed(self, actor: Actor, obj, name: str) -> bool:
        """May ``actor`` make transition ``name`` on ``obj`` now (state, role, party, condition)?"""
        t = self.transitions.get(name)
        if t is None:
            return False
        if t.system:
            return actor.is_system and self.state_of(obj) in t.sources and t.when(obj)
        if not actor.is_authenticated or actor.role not in t.roles:
            return False
        return (
            self.state_of(obj) in t.sources
            and t.when(obj)
            and t.party(actor, obj)
            and (t.guard is None or t.guard(obj) is None)
        )

    def waiting(self, actor: Actor, obj) -> list[tuple[Transition, Any]]:
        """Transitions ``actor`` will be able to make once their guard lifts, with the reason they wait."""
        out = []
        for t in self.transitions.values():
            if t.guard is None or t.system or not actor.is_authenticated or actor.role not in t.roles:
                continue
            if self.state_of(obj) in t.sources and t.when(obj) and t.party(actor, obj):
                message = t.guard(obj)
                if message is not None:
                    out.append((t, message))
        return out

    def may_ever(self, actor: Actor, obj, name: str) -> bool:
        """Is ``actor`` the party for ``name`` on ``obj`` whatever its state (so "moved on" is the answer)?"""
        t = self.transitions.get(name)
        if t is None or t.system or not actor.is_authenticated or actor.role not in t.roles:
            return False
        return t.party(actor, obj)

    def available(self, actor: Actor, obj) -> list[Transition]:
        return [t for t in self.transitions.values() if self.allowed(actor, obj, t.name)]

    def actions(self, actor: Actor, obj, *, url: Callable[[str], str], failed: str = "", failed_form=None):
        """The transitions ``actor`` may make now, for a page: each with its form (the failed one bound,
        showing its errors) and the address it posts to (``url(name)``)."""
        out = []
        for t in self.available(actor, obj):
            form = failed_form if (t.name == failed and failed_form is not None) else self.form_for(t, actor, obj)
            out.append(Action(transition=t, form=form, url=url(t.name), failed=t.name == failed))
        return out

    def is_legal_move(self, from_state: str, to_state: str) -> bool:
        return any(from_state in t.sources and to_state in t.possible_targets(from_state) for t in self)

    def states(self) -> list[str]:
        return [value for value, _label in self.model._meta.get_field(self.state_field).choices]

    # --- Input ----------------------------------------------------------------------
    def form_for(self, t: Transition, actor: Actor, obj, data=None, files=None):
        if t.form is None:
            return None
        return t.form(data=data, files=files, actor=actor, obj=obj, prefix=t.name)

    def bind(self, t: Transition, actor: Actor, obj, data=None, files=None, *, prefixed: bool = False):
        """The transition's form bound to request data (``prefixed``: as posted from a page)."""
        if t.form is None:
            return None
        if files is None and data and not hasattr(data, "getlist"):
            # Input from code or JSON: files (photos, say) come in the same mapping as the rest.
            files = MultiValueDict({k: v if isinstance(v, list) else [v] for k, v in data.items()})
        return t.form(data=data or {}, files=files, actor=actor, obj=obj, prefix=t.name if prefixed else None)

    def clean(self, t: Transition, actor: Actor, obj, data=None, files=None, *, prefixed: bool = False) -> dict:
        """Validate the transition's input; raise ``InputInvalid`` with every field's message."""
        form = self.bind(t, actor, obj, data, files, prefixed=prefixed)
        if form is None:
            return {}
        if not form.is_valid():
            raise invalid_input(form)
        return form.cleaned_data

    # --- Changes --------------------------------------------------------------------
    def check(self, actor: Actor, obj, name: str, *, first_comes: bool = False) -> Transition:
        """Raise unless ``actor`` may make ``name`` on ``obj`` now.

        The one who is the right party but came too late gets ``WrongState`` (409: the
        object moved on), everyone else ``NotAllowed``; nobody learns more than that.
        """
        t = self.get(name)
        if self.allowed(actor, obj, name):
            return t
        for waiting, message in self.waiting(actor, obj):
            if waiting.name == name:
                raise message if isinstance(message, DomainError) else TooEarly(message)
        if self.may_ever(actor, obj, name):
            raise self.taken() if first_comes else self.wrong_state()
        raise NotAllowed()

    def move(self, *, actor: Actor, obj, name: str, to_state: str | None = None) -> tuple[str, str]:
        """Set the new state of an object whose transition a service checked and applied itself.

        For services with more to do around the change than ``run`` covers (capacity, waiting
        lists); call inside the service's transaction, after ``check``. Refuses a move the
        table does not declare, so no service reaches a state by hand. Returns (from, to);
        the caller saves and audits.
        """
        t = self.get(name)
        from_state = self.state_of(obj)
        to = to_state or t.target or from_state
        if from_state not in t.sources or to not in t.possible_targets(from_state):
            raise self.wrong_state(data={"state": from_state, "transition": name})
        setattr(obj, self.state_field, to)
        self._signal(obj, t, from_state, to, actor)
        return from_state, to

    @staticmethod
    def clean_reason(reason: str | None) -> str:
        reason = (reason or "").strip()
        if len(reason) < 2:
            raise ReasonMissing()
        return reason[:1000]

    def run(
        self,
        *,
        actor: Actor,
        obj,
        name: str,
        data: dict | None = None,
        files=None,
        reason: str = "",
        first_comes: bool = False,
        cleaned: dict | None = None,
        prefixed: bool = False,
        before: Callable[[Step], None] | None = None,
        settle: Callable[[Step], None] | None = None,
        after: Callable[[Step], None] | None = None,
    ):
        """Make transition ``name`` on ``obj`` as ``actor``, all or nothing; return the saved object.

        The row is locked first, so of many people acting on one object at once one wins and
        the others get ``WrongState`` (or ``already_taken``), never a half-done change.
        ``cleaned`` passes input already validated (a service called from another service);
        ``prefixed`` says the data was posted by the page's form (field names carry the
        transition's name, so several transitions' forms can share a page).

        The service that owns the machine may pass hooks: ``before`` (the object is locked and
        the move checked; take snapshots), ``settle`` (the new state is set, not yet saved: put
        fields that follow from it, such as deadlines) and ``after`` (saved and audited: history
        rows, roll-ups, notifications). All run inside the transaction.
        """
        t = self.get(name)
        with transaction.atomic():
            obj = self.model._default_manager.select_for_update().get(pk=obj.pk)
            self.check(actor, obj, name, first_comes=first_comes)
            if t.needs_reason:
                reason = self.clean_reason(reason)
            else:
                reason = (reason or "").strip()[:1000]
            values = cleaned if cleaned is not None else self.clean(t, actor, obj, data, files, prefixed=prefixed)
            from_state = self.state_of(obj)
            step = Step(
                actor=actor, obj=obj, transition=t, data=values, reason=reason, now=clock.now(), from_state=from_state
            )
            for hook in (self.before, before):
                if hook:
                    hook(step)
            if t.apply:
                t.apply(step)
            to = step.to_state or t.target or from_state
            if to not in t.possible_targets(from_state):
                raise self.wrong_state(data={"state": from_state, "transition": name})
            step.to_state = to
            step.put(self.state_field, to)
            if settle:
                settle(step)
            fields = set(step.changed)
            if any(f.name == "updated_at" for f in obj._meta.concrete_fields):
                fields.add("updated_at")
            obj.save(update_fields=sorted(fields))
            audit = {"from": from_state, "to": to, **({"reason": reason} if reason else {}), **step.event}
            place = self.audit_place(obj) if self.audit_place else None
            log_action(
                None if actor.is_system else actor,
                self.audit_code(t.name),
                obj,
                place=place,
                data=audit,
            )
            for hook in (self.after, after):
                if hook:
                    hook(step)
            self._signal(obj, t, from_state, to, actor)
        return obj

    def _signal(self, obj, t: Transition, from_state: str, to_state: str, actor: Actor) -> None:
        transaction.on_commit(
            lambda: transitioned.send(
                sender=self.model,
                workflow=self.name,
                obj=obj,
                transition=t.name,
                from_state=from_state,
                to_state=to_state,
                actor=actor,
            )
        )

    def describe(self) -> list[dict]:
        """The table as data (for docs and tests): one row per transition."""
        return [
            {
                "name": t.name,
                "from": sorted(t.sources),
                "to": sorted(t.targets) if t.targets else t.target,
                "roles": sorted(t.roles),
                "reason": t.needs_reason,
                "system": t.system,
            }
            for t in self
        ]


@dataclass
class Action:
    """A transition offered on a page, with its form."""

    transition: Transition
    form: Any = None
    url: str = ""
    failed: bool = False

    @property
    def name(self) -> str:
        return self.transition.name

    @property
    def label(self):
        return self.transition.label

    @property
    def needs_reason(self) -> bool:
        return self.transition.needs_reason

    @property
    def negative(self) -> bool:
        return self.transition.negative

    @property
    def template(self) -> str:
        return self.transition.template

    @property
    def help(self):
        return self.transition.help

    @property
    def multipart(self) -> bool:
        return bool(self.form is not None and self.form.is_multipart())
