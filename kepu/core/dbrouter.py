"""Dashboards and public lists read from a PostgreSQL standby (``KEPU_REPLICA_URL``); the rest from the primary.

The rule is explicit, per selector: only a selector decorated with ``@use_replica`` may read from the standby
(the public calendar, the public lists of bases, resources and events, the service menu, the dashboards'
figures). These too read the primary when

* the read is inside a transaction (a service reading what it is about to change, or what it just wrote);
* the current request or task has written anything (read-after-write within one request or task; outside both,
  as in a shell, only the transaction rule holds);
* the browser wrote in the last ``KEPU_REPLICA_PIN_SECONDS`` (``ReplicaPinMiddleware`` sets a short cookie on a
  response to a request that wrote, so the next page after a sign-up shows the sign-up, whichever host serves it:
  the state is in the cookie, not in a process);
* the standby cannot be reached (logged, and the page is served from the primary).

A selector that returns a queryset returns it bound to the database chosen when it was called, so a page that
evaluates it later (a paginator, a template) reads where the selector decided. Without ``KEPU_REPLICA_URL`` the
router is not installed and ``use_replica`` changes nothing.
"""

from __future__ import annotations

import functools
import logging
import time
from collections.abc import Callable
from contextlib import contextmanager
from contextvars import ContextVar

from django.conf import settings
from django.db import DEFAULT_DB_ALIAS, connections
from django.db.models import QuerySet
from django_tasks.signals import task_started

logger = logging.getLogger("kepu.dbrouter")

REPLICA = "replica"
PIN_COOKIE = "kepu_primary_until"

_wanted: ContextVar[bool] = ContextVar("kepu_replica_wanted", default=False)
_wrote: ContextVar[bool] = ContextVar("kepu_replica_wrote", default=False)
_pinned: ContextVar[bool] = ContextVar("kepu_replica_pinned", default=False)
_tracking: ContextVar[bool] = ContextVar("kepu_replica_tracking", default=False)

#: Called before a read goes to the standby. The test suite's replica run sets it to wait until the standby has
#: replayed the primary's last commit (its tests write and read at once); production reads what is there.
before_replica_read: Callable[[], None] = lambda: None  # noqa: E731


def configured() -> bool:
    return REPLICA in settings.DATABASES


def read_alias() -> str:
    """Where a read asked for by ``use_replica`` goes now: the standby, or the primary (see the module's rules)."""
    if not configured() or _wrote.get() or _pinned.get():
        return DEFAULT_DB_ALIAS
    if in_transaction() or not reachable():
        return DEFAULT_DB_ALIAS
    return REPLICA


def in_transaction() -> bool:
    return connections[DEFAULT_DB_ALIAS].in_atomic_block


def reachable() -> bool:
    try:
        connections[REPLICA].ensure_connection()
    except Exception:  # noqa: BLE001 - an unreachable standby must not take the public pages down
        logger.warning("replica unreachable; reading from the primary", exc_info=True)
        return False
    return True


@contextmanager
def _replica_scope():
    token = _wanted.set(True)
    try:
        yield
    finally:
        _wanted.reset(token)


def use_replica(selector):
    """Let a read-only selector read from the standby (its querysets stay bound to where it read)."""

    @functools.wraps(selector)
    def wrapper(*args, **kwargs):
        if not configured():
            return selector(*args, **kwargs)
        alias = read_alias()
        if alias == DEFAULT_DB_ALIAS:
            return selector(*args, **kwargs)
        before_replica_read()
        with _replica_scope():
            result = selector(*args, **kwargs)
        if isinstance(result, QuerySet):
            result = result.using(alias)
        return result

    return wrapper


def start_request(*, pinned: bool) -> None:
    """A new request (or task): nothing written yet; pinned to the primary if the browser wrote a moment ago."""
    _tracking.set(True)
    _wrote.set(False)
    _pinned.set(pinned)


def forget_request() -> None:
    """Back to outside any request (a shell, a test): only the transaction rule holds."""
    _tracking.set(False)
    _wrote.set(False)
    _pinned.set(False)


def _task_started(sender, **kwargs) -> None:
    start_request(pinned=False)


task_started.connect(_task_started, dispatch_uid="kepu.core.dbrouter.task_started")


def has_written() -> bool:
    return _wrote.get()


class ReplicaRouter:
    """Writes go to the primary; reads to the standby only inside ``use_replica``; migrations only on the primary."""

    def db_for_read(self, model, **hints):
        if _wanted.get() and not _wrote.get() and not _pinned.get() and not in_transaction():
            return REPLICA
        return DEFAULT_DB_ALIAS

    def db_for_write(self, model, **hints):
        if _tracking.get():
            _wrote.set(True)
        return DEFAULT_DB_ALIAS

    def allow_relation(self, obj1, obj2, **hints):
        # The standby holds the primary's rows: an object read there may relate to one read here.
        return {obj1._state.db or DEFAULT_DB_ALIAS, obj2._state.db or DEFAULT_DB_ALIAS} <= {DEFAULT_DB_ALIAS, REPLICA}

    def allow_migrate(self, db, app_label, **hints):
        return db == DEFAULT_DB_ALIAS


class ReplicaPinMiddleware:
    """Read-after-write across requests and hosts: a browser that wrote reads the primary for a few seconds."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        try:
            pinned = float(request.COOKIES.get(PIN_COOKIE, "0")) > time.time()
        except ValueError:
            pinned = False
        start_request(pinned=pinned)
        response = self.get_response(request)
        if has_written():
            seconds = settings.KEPU_REPLICA_PIN_SECONDS
            response.set_cookie(
                PIN_COOKIE,
                f"{time.time() + seconds:.0f}",
                max_age=seconds,
                httponly=True,
                samesite="Lax",
                secure=settings.SESSION_COOKIE_SECURE,
            )
        return response
