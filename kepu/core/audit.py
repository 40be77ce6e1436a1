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
    "kepu_request_meta",
    default=RequestMeta(),  # noqa: B039 (frozen dataclass)
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


# --- Audit codes in words ----------------------------------------------------------------------------------
_labels: dict[str, tuple] = {}
#: Words a declared workflow gives its transitions' codes (its model's name, the action's label); an app's
#: own ``audit_labels`` win where they name the same code.
_workflow_labels: dict[str, tuple] = {}


def register_audit_labels(subject, events: dict) -> None:
    """Words for audit codes: ``subject`` names the kind of record ("Order"), ``events`` maps each code to
    what happened ("kepu.orders.claim": "claimed"). Each app registers its codes in its ``audit_labels``
    module; the trail then reads "Order: claimed" instead of the code."""
    for code, event in events.items():
        _labels[code] = (subject, event)


def register_workflow_labels(subject, events: dict) -> None:
    """The fallback words for a workflow's codes (see ``kepu.core.workflow.Workflow``)."""
    _workflow_labels.update({code: (subject, event) for code, event in events.items()})


def describe(code: str) -> str:
    """An audit code in words, in the current language (the code itself when nobody registered it)."""
    from django.utils.translation import gettext

    found = _labels.get(code) or _workflow_labels.get(code)
    if found is None:
        return code
    subject, event = found
    return gettext("%(subject)s: %(event)s") % {"subject": subject, "event": event}


def known_codes() -> set[str]:
    return set(_labels) | set(_workflow_labels)


def subjects() -> list[tuple[str, str]]:
    """(code prefix, subject) pairs for filtering the trail by kind of record."""
    prefixes: dict[str, object] = {}
    for code, (subject, _event) in {**_workflow_labels, **_labels}.items():
        prefixes.setdefault(code.rsplit(".", 1)[0] + ".", subject)
    return sorted(((p, str(s)) for p, s in prefixes.items()), key=lambda item: item[1])
