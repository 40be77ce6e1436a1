"""The background worker, made to last: no autoreloader, transient database errors retried, a heartbeat.

django-tasks-db's ``db_worker`` runs its loop in a thread of the autoreloader under DEBUG, so one
"database is locked" killed the thread while the process lived on, and jobs silently stopped. Here
(``manage.py run_worker``):

* the loop runs in the main thread; an ``OperationalError``/``InterfaceError`` (a lock held too long,
  a dropped connection) is logged, counted and retried after a pause, never fatal;
* a heartbeat thread writes ``WorkerBeat.last_seen_at`` every few seconds, so the operator's home
  page lists a worker not seen for a minute (``stale_workers``);
* the same thread finds tasks left "running" by a worker that is gone (killed, crashed, machine
  restarted), marks them failed and sends ``task_abandoned``, so the app that owns the task can
  mark its job interrupted and offer to run it again;
* a supervisor (``dev.py up``, or systemd in production) restarts the process if it exits.
"""

from __future__ import annotations

import logging
import os
import socket
import threading
import time
from datetime import timedelta

import django.dispatch
from django.db import InterfaceError, OperationalError, close_old_connections, connection
from django.utils import timezone

logger = logging.getLogger("kepu.worker")

BEAT_SECONDS = 5
#: A worker not seen for this long is gone (and the operator is told).
STALE_AFTER = timedelta(minutes=1)

#: Sent when a task was left running by a worker that is gone, after it was marked failed.
#: ``task_path`` is the task's dotted path; ``args`` and ``kwargs`` are what it was enqueued with.
#: Receivers mark their own job interrupted (and must not raise).
task_abandoned = django.dispatch.Signal()


def is_transient(exc: BaseException) -> bool:
    """A database error that goes away by itself: a lock held by another writer, a dropped connection."""
    return isinstance(exc, OperationalError | InterfaceError)


def stale_workers(now=None):
    """Workers that have not been seen for a minute and did not stop on purpose (newest first)."""
    from kepu.core.models import WorkerBeat

    now = now or timezone.now()
    return list(
        WorkerBeat.objects.filter(stopped_at__isnull=True, last_seen_at__lt=now - STALE_AFTER).order_by(
            "-last_seen_at"
        )[:20]
    )


def live_worker_ids(now=None) -> set[str]:
    from kepu.core.models import WorkerBeat

    now = now or timezone.now()
    return set(
        WorkerBeat.objects.filter(stopped_at__isnull=True, last_seen_at__gte=now - STALE_AFTER).values_list(
            "worker_id", flat=True
        )
    )


def recover_abandoned(now=None) -> int:
    """Mark tasks whose worker is gone as failed and tell their apps; return how many."""
    from django_tasks_db.models import DBTaskResult

    now = now or timezone.now()
    alive = live_worker_ids(now)
    running = DBTaskResult.objects.filter(status="RUNNING").only("id", "worker_ids", "task_path", "args_kwargs")
    abandoned = [r for r in running if not (set(r.worker_ids or []) & alive)]
    for result in abandoned:
        updated = DBTaskResult.objects.filter(pk=result.pk, status="RUNNING").update(
            status="FAILED",
            finished_at=now,
            exception_class_path="kepu.core.worker.WorkerLost",
            traceback="The worker running this task stopped before it finished.",
        )
        if not updated:
            continue
        args_kwargs = result.args_kwargs or {}
        for _receiver, error in task_abandoned.send_robust(
            sender=DBTaskResult,
            task_path=result.task_path,
            args=args_kwargs.get("args", []),
            kwargs=args_kwargs.get("kwargs", {}),
        ):
            if error is not None:
                logger.error("task_abandoned receiver failed for %s", result.pk, exc_info=error)
    return len(abandoned)


class Heartbeat(threading.Thread):
    """Writes the worker's sign of life and recovers other workers' abandoned tasks, on its own connection."""

    def __init__(self, worker_id: str):
        super().__init__(name="kepu-worker-heartbeat", daemon=True)
        self.worker_id = worker_id
        self.stop = threading.Event()
        self.errors = 0

    def beat(self, **extra) -> None:
        from kepu.core.models import WorkerBeat

        now = timezone.now()
        WorkerBeat.objects.update_or_create(
            worker_id=self.worker_id,
            defaults={"last_seen_at": now, "errors": self.errors, **extra},
            create_defaults={
                "host": socket.gethostname()[:100],
                "pid": os.getpid(),
                "started_at": now,
                "last_seen_at": now,
            },
        )

    def run(self) -> None:
        last_recovery = 0.0
        while not self.stop.is_set():
            try:
                self.beat()
                if time.monotonic() - last_recovery > STALE_AFTER.total_seconds():
                    recover_abandoned()
                    last_recovery = time.monotonic()
            except Exception as exc:  # noqa: BLE001 - the heartbeat must outlive any database hiccup
                if not is_transient(exc):
                    logger.exception("worker heartbeat failed")
            finally:
                close_old_connections()
            self.stop.wait(BEAT_SECONDS)
        connection.close()


def run_supervised_loop(worker, heartbeat: Heartbeat, *, max_pause: float = 30.0) -> None:
    """Run ``worker.run()`` until it returns (batch, max tasks) or is told to stop, retrying transient errors."""
    from django_tasks_db.models import DBTaskResult

    pause = 1.0
    while worker.running:
        try:
            worker.run()
            return
        except Exception as exc:
            if not is_transient(exc):
                raise
            heartbeat.errors += 1
            logger.warning("worker: transient database error (%s); retrying in %.0f s", exc, pause)
            current = getattr(worker, "current_task_id", None)
            if current is not None:  # the task ran, but its result could not be written: fail it openly
                try:
                    close_old_connections()
                    DBTaskResult.objects.filter(pk=current, status="RUNNING").update(
                        status="FAILED",
                        finished_at=timezone.now(),
                        exception_class_path=f"{type(exc).__module__}.{type(exc).__qualname__}",
                        traceback=str(exc)[:2000],
                    )
                except Exception:  # noqa: BLE001 - the recovery thread will find it
                    pass
                worker.current_task_id = None
            try:
                connection.close()
            except Exception:  # noqa: BLE001
                pass
            time.sleep(pause)
            pause = min(pause * 2, max_pause)
        else:
            pause = 1.0
