"""The audit trail: ``log_action`` records who did what, when, and from where.

Services call ``log_action`` inside their transaction, so an entry exists exactly when
the change it describes does. The request's address and browser come from a context
variable the middleware sets, so services need not pass the request around.
"""

from __future__ import annotations

import contextvars
from dataclasses import dataclass

from kepu.core.actor import Actor
from kepu.core.models import AuditEntry


@dataclass(frozen=True)
class RequestMeta:
    ip: str | None = None
    user_agent: str = ""


current_request_meta: contextvars.ContextVar[RequestMeta] = contextvars.ContextVar(
    "kepu_request_meta", default=RequestMeta()
)


def _place_path(obj, place) -> str:
    if place is not None:
        return place.path
    for attr in ("place", "organization"):
        target = getattr(obj, attr, None) if obj is not None else None
        if target is None:
            continue
        if hasattr(target, "path"):
            return target.path
        target_place = getattr(target, "place", None)
        if target_place is not None:
            return target_place.path
    return getattr(obj, "path", "") or ""


def log_action(actor: Actor | None, action: str, obj=None, *, place=None, data: dict | None = None) -> AuditEntry:
    """Append one entry to the audit trail.

    ``action`` is a dotted, unique code such as ``kepu.person.pii_viewed``; ``place`` (a
    ``Place``) decides which office may read the entry and defaults to the object's place.
    """
    meta = current_request_meta.get()
    actor = actor or Actor()
    user = actor.user if actor.is_authenticated else None
    return AuditEntry.objects.create(
        actor=user,
        actor_name=(user.get_display_name() if user is not None else "")[:100],
        role=actor.role or "",
        organization_id=actor.organization_id,
        action=action,
        object_type=obj._meta.label_lower if obj is not None and hasattr(obj, "_meta") else "",
        object_id=str(obj.pk) if obj is not None and getattr(obj, "pk", None) is not None else "",
        object_repr=str(obj)[:200] if obj is not None else "",
        place_path=_place_path(obj, place)[:120],
        data=data or {},
        ip=meta.ip,
        user_agent=meta.user_agent[:200],
    )
