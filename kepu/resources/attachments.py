"""Attaching pieces to other apps' objects (an activity's 讲座课件, a base's 展品介绍).

Each kind of object is a ``Target`` registered here, with the function that checks, through the
owning app's selector, that the actor runs that object (it raises ``NotFound`` otherwise), and
its page's address. Resources registers activities and orders; another app registers its own
(``register_target("base", …)`` in its ``ready()``) and drops
``{% load resources %}{% attached_resources "base" base.pk %}`` into its page.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field

from django.urls import reverse
from django.utils.translation import gettext_lazy as _

from kepu.core.actor import Actor
from kepu.core.errors import NotAllowed, NotFound

LABELS = [
    ("courseware", _("Lecture slides and notes")),
    ("exhibit", _("Exhibit introduction")),
    ("reading", _("Further reading")),
    ("video", _("Video to watch")),
]


@dataclass(frozen=True)
class Target:
    type: str
    label: object
    #: ``check(actor, id)``: the object's title if the actor may attach pieces to it; raises otherwise.
    check: Callable[[Actor, int], str]
    url: Callable[[int], str]
    labels: list = field(default_factory=lambda: list(LABELS))


_targets: dict[str, Target] = {}


def register_target(type_: str, label, check, url, labels=None) -> Target:
    t = Target(type_, label, check, url, list(labels or LABELS))
    _targets[type_] = t
    return t


def target(type_: str) -> Target | None:
    return _targets.get(type_)


def may_attach(actor: Actor, type_: str, target_id: int) -> bool:
    """Whether the actor may attach pieces to that object (its page offers the button only then)."""
    from kepu.core.permissions import can
    from kepu.resources.models import Resource
    from kepu.resources.permissions import ResourceAction

    t = _targets.get(type_)
    if t is None or not can(actor, ResourceAction.WORK, Resource):
        return False
    try:
        t.check(actor, target_id)
    except (NotFound, NotAllowed):
        return False
    return True


def label_of(type_: str, value: str):
    t = _targets.get(type_)
    return dict(t.labels).get(value, value) if t else value


def _activity(actor: Actor, pk: int) -> str:
    from kepu.activities.selectors import activity_to_manage

    return activity_to_manage(actor=actor, pk=pk).title


def _order(actor: Actor, pk: int) -> str:
    from kepu.core.permissions import require
    from kepu.orders.selectors import order_get
    from kepu.resources.models import Resource
    from kepu.resources.permissions import ResourceAction

    require(actor, ResourceAction.ATTACH_TO_ORDERS, Resource)
    order = order_get(actor=actor, pk=pk)
    return f"{order.number} {order.title}"


def register_builtin() -> None:
    register_target("activity", _("Activity"), _activity, lambda pk: reverse("activities:detail", args=[pk]))
    register_target("order", _("Service order"), _order, lambda pk: reverse("orders:detail", args=[pk]))


__all__ = ["register_target", "target", "may_attach", "LABELS", "NotFound"]
