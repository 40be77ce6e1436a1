"""Append-only tables, guarded in the database itself (the audit trail, the hours ledger).

PostgreSQL: row triggers refuse UPDATE and DELETE; the app connects as a role that owns no table
(docs/ARCHITECTURE.md, "Database roles"), so it can neither drop the triggers nor TRUNCATE.

SQLite has no roles, and its test flush deletes row by row. Its triggers ask the SQL function
``kepu_flush_allowed()``, which this module defines on every connection: it answers 1 only inside
``flush_allowed()`` while the test suite runs (``KEPU_TESTING``), so no row, setting or statement
the running app could write re-opens the tables; another program without the function is refused.
"""

from __future__ import annotations

import threading
from contextlib import contextmanager

from django.conf import settings

_state = threading.local()


def _flush_allowed() -> int:
    return 1 if settings.TESTING and getattr(_state, "on", False) else 0


def register_sql_functions(sender, connection, **kwargs) -> None:
    if connection.vendor == "sqlite":
        connection.connection.create_function("kepu_flush_allowed", 0, _flush_allowed)


def set_flush_allowed(on: bool) -> None:
    """Test suite only: let the flush that ends a transactional test empty append-only tables on SQLite."""
    _state.on = on


@contextmanager
def flush_allowed():
    """Test suite only: a test's own reset of an append-only table on SQLite."""
    _state.on = True
    try:
        yield
    finally:
        _state.on = False
