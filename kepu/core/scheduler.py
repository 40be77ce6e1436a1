"""Periodic background work on top of the tasks API.

django-tasks runs tasks but does not schedule them. Apps declare periodic tasks here
(``every(minutes=…)(task)``); the ``run_scheduler`` command, started next to the worker,
enqueues each one when it is due. The ``PeriodicRun`` row is locked while deciding, so two
schedulers never enqueue the same run twice.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import timedelta

from django.db import transaction
from django.utils import timezone


@dataclass(frozen=True)
class PeriodicTask:
    name: str
    interval: timedelta
    task: object  # a django_tasks Task


_periodic: dict[str, PeriodicTask] = {}


def every(*, minutes: int = 0, hours: int = 0):
    def decorator(task):
        name = f"{task.module_path}" if hasattr(task, "module_path") else task.name
        _periodic[name] = PeriodicTask(name, timedelta(minutes=minutes, hours=hours), task)
        return task

    return decorator


def periodic_tasks() -> list[PeriodicTask]:
    return list(_periodic.values())


def enqueue_due(now=None) -> list[str]:
    """Enqueue every periodic task whose interval has passed; return their names."""
    from kepu.core.models import PeriodicRun

    now = now or timezone.now()
    enqueued = []
    for spec in periodic_tasks():
        with transaction.atomic():
            run, _ = PeriodicRun.objects.get_or_create(name=spec.name)
            run = PeriodicRun.objects.select_for_update().get(pk=run.pk)
            if run.last_enqueued_at and now - run.last_enqueued_at < spec.interval:
                continue
            spec.task.enqueue()
            run.last_enqueued_at = now
            run.save(update_fields=["last_enqueued_at"])
            enqueued.append(spec.name)
    return enqueued
