"""The permission layer: one policy per app, deny by default.

Each app declares a ``Policy`` for its models in its own ``permissions.py`` and registers
it. A policy answers two questions, and web views, the API and the admin all ask them
here and nowhere else:

* ``can(actor, action, obj)`` — may this actor do this action to this object?
* ``scope(actor, queryset)`` — which of these objects may this actor see?

Anything a policy does not explicitly allow is refused.

A policy declares the actions it answers as ``StrEnum`` classes (``actions``); callers pass
the members (``can(actor, OrderAction.VIEW, order)``), and asking a policy an action it does not
declare raises ``UnknownAction``: a misspelt action is a programming error the tests must catch,
not a refusal that looks like a rule. The values stay readable strings in logs and audit data.
"""

from __future__ import annotations

from enum import StrEnum

from django.db.models import Model, QuerySet

from kepu.core.actor import Actor
from kepu.core.errors import NotAllowed, NotFound

_registry: dict[type[Model], Policy] = {}


class UnknownAction(LookupError):
    """A policy was asked an action it does not declare (a typo, or the enum of another app)."""


class Policy:
    model: type[Model]
    #: The ``StrEnum`` classes whose members this policy answers (one class, or a tuple of them).
    actions: type[StrEnum] | tuple[type[StrEnum], ...] = ()

    def action_values(self) -> frozenset[str]:
        kinds = self.actions if isinstance(self.actions, tuple) else (self.actions,)
        return frozenset(member.value for kind in kinds for member in kind)

    def knows(self, action) -> bool:
        """Whether ``action`` is one this policy declares (a member, or its value, of one of ``actions``)."""
        known = self.__dict__.get("_known")
        if known is None:
            known = self._known = self.action_values()
        return action in known

    def check_action(self, action) -> None:
        if not self.knows(action):
            raise UnknownAction(f"{type(self).__name__} does not declare the action {action!r}")

    def can(self, actor: Actor, action: str, obj=None) -> bool:  # noqa: ARG002 - deny by default
        return False

    def scope(self, actor: Actor, queryset: QuerySet) -> QuerySet:  # noqa: ARG002
        return queryset.none()


_NOBODY = Policy()


def register(policy_cls: type[Policy]) -> type[Policy]:
    """Class decorator: make ``policy_cls`` the policy of its model."""
    policy = policy_cls()
    if not policy.action_values():
        raise TypeError(f"{policy_cls.__name__} declares no actions (set `actions` to its StrEnum)")
    _registry[policy_cls.model] = policy
    return policy_cls


def registered() -> dict[type[Model], Policy]:
    """Every registered policy, by model (for the checks that walk them)."""
    return dict(_registry)


def policy_for(model_or_obj) -> Policy:
    model = model_or_obj if isinstance(model_or_obj, type) else type(model_or_obj)
    if hasattr(model, "_meta"):
        model = model._meta.concrete_model
    try:
        return _registry[model]
    except KeyError:
        # No policy means nobody may do anything with it.
        return _NOBODY


def can(actor: Actor, action: StrEnum, obj) -> bool:
    """Whether the actor may do ``action`` to ``obj`` (a model instance, or the model class for
    "may they create one at all"). Raises ``UnknownAction`` if the policy does not declare it."""
    policy = policy_for(obj)
    if policy is not _NOBODY:
        policy.check_action(action)
    if not actor.is_authenticated:
        return False
    return policy.can(actor, action, obj)


def require(actor: Actor, action: StrEnum, obj) -> None:
    """Raise ``NotAllowed`` unless the actor may do ``action`` to ``obj``."""
    if not can(actor, action, obj):
        raise NotAllowed()


def scope(actor: Actor, queryset: QuerySet) -> QuerySet:
    if not actor.is_authenticated:
        return queryset.none()
    return policy_for(queryset.model).scope(actor, queryset)


def get_visible(actor: Actor, queryset: QuerySet, **lookup):
    """Fetch one object the actor may see; an object outside their scope does not exist for them."""
    try:
        return scope(actor, queryset).get(**lookup)
    except queryset.model.DoesNotExist:
        raise NotFound() from None


def in_area(actor: Actor, queryset: QuerySet, path_field: str = "place__path") -> QuerySet:
    """Restrict to the actor's area of the tree: everything for the city, a subtree for an office."""
    if actor.is_city:
        return queryset
    path = actor.area_path
    if not path:
        return queryset.none()
    return queryset.filter(**{f"{path_field}__startswith": path})


def area_prefix(actor: Actor) -> str | None:
    """The path prefix of what the actor's area holds: ``""`` (everything) for the city office, the subtree
    for the other area roles, ``None`` for roles that oversee no area."""
    if actor.is_city:
        return ""
    return actor.area_path


def covers(actor: Actor, place_path: str | None) -> bool:
    """Whether ``place_path`` lies inside the actor's area."""
    if actor.is_city:
        return True
    area = actor.area_path
    return bool(area and place_path and place_path.startswith(area))
