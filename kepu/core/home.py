"""What a home page shows, registered by the apps: worker to-dos (待办), resident cards and panels.

The home pages live in core and never import another app's models. Each app registers, in its
``ready()``:

* ``register_todos(provider, roles)``: ``provider(actor)`` returns ``Todo`` items (from the app's
  selectors, already scoped to the actor); the home page shows those with a count, oldest first,
  and turns the late ones into alerts.
* ``register_card(label, url_name, icon=…, hint=…)``: a large tappable card on the public and the
  resident home (我要预约科普服务, 科普活动 …).
* ``register_panel(key, template, context, roles)``: a section of the resident home ("this week
  near me", "my orders and their next step"); ``context(actor)`` returns the template's context, or
  None to leave the panel out.

A provider that fails is logged and left out, so one app's fault never takes a home page down.
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from datetime import datetime

from django.urls import reverse
from django.utils.functional import Promise

from kepu.core.actor import Actor

logger = logging.getLogger(__name__)

#: The audience of a resident card or panel that is not a role: a visitor who has not signed in,
#: or a person signed in without any role yet (a resident who skipped the welcome form).
ANONYMOUS = "anonymous"
NO_ROLE = "none"


@dataclass(frozen=True)
class Todo:
    """One line of a worker's 待办: how many things wait, since when, how many are late, and where they are.

    ``oldest`` is when the longest-waiting item began to wait (sorting: the oldest first); ``overdue``
    how many are past their deadline (an alert); ``overdue_url`` the list of just those.
    """

    label: str | Promise
    count: int
    url: str
    oldest: datetime | None = None
    overdue: int = 0
    overdue_url: str = ""
    key: str = ""


@dataclass(frozen=True)
class _TodoProvider:
    fn: Callable[[Actor], Iterable[Todo]]
    roles: frozenset[str]


@dataclass(frozen=True)
class Card:
    label: str | Promise
    url_name: str
    icon: str
    hint: str | Promise = ""
    order: int = 100
    audience: frozenset[str] = field(default_factory=frozenset)


@dataclass(frozen=True)
class Panel:
    key: str
    template: str
    context: Callable[[Actor], dict | None]
    audience: frozenset[str]
    order: int = 100


_todo_providers: list[_TodoProvider] = []
_cards: list[Card] = []
_panels: list[Panel] = []


def register_todos(provider: Callable[[Actor], Iterable[Todo]], roles: Iterable[str]) -> None:
    _todo_providers.append(_TodoProvider(provider, frozenset(roles)))


def register_card(label, url_name: str, *, icon: str, audience: Iterable[str], hint="", order: int = 100) -> None:
    _cards.append(Card(label, url_name, icon, hint, order, frozenset(audience)))


def register_panel(key: str, template: str, context, *, audience: Iterable[str], order: int = 100) -> None:
    _panels.append(Panel(key, template, context, frozenset(audience), order))


def audience_of(actor: Actor) -> str:
    if not actor.is_authenticated:
        return ANONYMOUS
    return actor.role or NO_ROLE


def todos_for(actor: Actor) -> list[Todo]:
    """The actor's to-dos with something in them, late ones first, then oldest first."""
    who = audience_of(actor)
    out: list[Todo] = []
    for provider in _todo_providers:
        if who not in provider.roles:
            continue
        try:
            out.extend(t for t in provider.fn(actor) if t.count > 0)
        except Exception:  # one app's fault must not take the home page down
            logger.exception("to-do provider %s failed", getattr(provider.fn, "__qualname__", provider.fn))
    return sorted(out, key=_sortable)


def _sortable(todo: Todo):
    oldest = todo.oldest.timestamp() if todo.oldest is not None else float("inf")
    return (todo.overdue == 0, oldest, str(todo.label))


def cards_for(actor: Actor) -> list[dict]:
    who = audience_of(actor)
    return [
        {"label": c.label, "url": reverse(c.url_name), "icon": c.icon, "hint": c.hint, "name": c.url_name}
        for c in sorted(_cards, key=lambda c: (c.order, str(c.label)))
        if who in c.audience
    ]


def panels_for(actor: Actor) -> list[dict]:
    """The panels for this actor with their rendered context (panels that answer None are left out)."""
    who = audience_of(actor)
    out = []
    for panel in sorted(_panels, key=lambda p: (p.order, p.key)):
        if who not in panel.audience:
            continue
        try:
            context = panel.context(actor)
        except Exception:
            logger.exception("home panel %s failed", panel.key)
            continue
        if context is not None:
            out.append({"key": panel.key, "template": panel.template, "context": context})
    return out
