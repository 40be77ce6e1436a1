"""Is this instance ready for traffic? The database answers, every migration of this code is applied, and (when
configured) a task worker was seen recently. Three small queries: a balancer may ask every few seconds."""

from __future__ import annotations

from datetime import timedelta
from functools import lru_cache

from django.conf import settings
from django.db import DatabaseError, connection
from django.utils import timezone


@lru_cache(maxsize=1)
def expected_migrations() -> frozenset[tuple[str, str]]:
    """The last migration of each app on disk: the code does not change while the process runs."""
    from django.db.migrations.loader import MigrationLoader

    return frozenset(MigrationLoader(None, ignore_no_migrations=True).graph.leaf_nodes())


def problem() -> str | None:
    """Why this instance is not ready, in a few words, or None. Nothing about people or data."""
    try:
        with connection.cursor() as cursor:
            cursor.execute("SELECT 1")
    except DatabaseError:
        return "database unavailable"
    from django.db.migrations.recorder import MigrationRecorder

    try:
        applied = MigrationRecorder(connection).applied_migrations()
    except DatabaseError:
        return "database unavailable"
    if not expected_migrations() <= set(applied):
        return "migrations not applied"
    seconds = getattr(settings, "KEPU_READY_WORKER_SECONDS", 0)
    if seconds:
        from kepu.core.models import WorkerBeat

        recent = timezone.now() - timedelta(seconds=seconds)
        if not WorkerBeat.objects.filter(stopped_at__isnull=True, last_seen_at__gte=recent).exists():
            return f"no task worker seen for {seconds} s"
    return None
