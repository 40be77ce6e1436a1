"""The permission layer: one policy per app, deny by default.

Each app declares a ``Policy`` for its models in its own ``permissions.py`` and registers
it. A policy answers two questions, and web views, the API and the admin all ask them
here and nowhere else:

* ``can(actor, action, obj)`` — may this actor do this action to this object?
* ``scope(actor, queryset)`` — which of these objects may this actor see?

Anything a policy does not explicitly allow is refused.
"""

from __future__ import annotations

from django.db.models import Model, QuerySet

from kepu.core.actor import Actor
from kepu.core.errors import NotAllowed, NotFound

_registry: dict[type[Model], Policy] = {}


class Policy:
    model: type[Model]

    def can(self, actor: Actor, action: str, obj=None) -> bool:  # noqa: ARG002 - deny by default
        return False

    def scope(self, actor: Actor, queryset: QuerySet) -> QuerySet:  # noqa: ARG002
        return queryset.none()


def register(policy_cls: type[Policy]) -> type[Policy]:
    """Class decorator: make ``policy_cls`` the policy of its model."""
    _registry[policy_cls.model] = policy_cls()
    return policy_cls


def policy_for(model_or_obj) -> Policy:
    model = model_or_obj if isinstance(model_or_obj, type) else type(model_or_obj)
    if hasattr(model, "_meta"):
        model = model._meta.concrete_model
    try:
        return _registry[model]
    except KeyError:
        # No policy means nobody may do anything with it.
        return Policy()


def can(actor: Actor, action: str, obj) -> bool:
    if not actor.is_authenticated:
        return False
    return policy_for(obj).can(actor, action, obj)


def require(actor: Actor, action: str, obj) -> None:
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


def covers(actor: Actor, place_path: str | None) -> bool:
    """Whether ``place_path`` lies inside the actor's area."""
    if actor.is_city:
        return True
    area = actor.area_path
    return bool(area and place_path and place_path.startswith(area))
