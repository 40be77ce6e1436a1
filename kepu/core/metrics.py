"""Prometheus metrics: django-prometheus for requests and the database, and a few of kepu's own.

* Requests: django-prometheus's two middlewares (latency by view, responses by status, exceptions).
* Database: django-prometheus's own ``django_db_*`` series, fed by an execute wrapper around each request
  (``count_queries``) and by ``connection_created``, so the database ENGINE stays Django's own on both
  engines (its wrapped back ends would have to replace it).
* Background work: ``TaskCollector`` reads the task table at scrape time (queued, running, failed in the
  last hour, age of the oldest queued task) and the workers' heartbeats, cached for a few seconds so that
  several scrapers cost one set of queries.

``/metrics`` answers only addresses in ``KEPU_METRICS_ALLOW`` (after the trusted proxy's header) or a bearer
token equal to ``KEPU_METRICS_TOKEN``; with neither set it answers nobody.
"""

from __future__ import annotations

import ipaddress
import os
import secrets
import threading
import time
from datetime import timedelta
from functools import lru_cache

import prometheus_client
from django.conf import settings
from django.http import HttpResponse
from django.utils import timezone
from django_prometheus.db import connections_total, errors_total, execute_total, query_duration_seconds
from prometheus_client.core import GaugeMetricFamily

from kepu.core.net import client_ip

TASKS_CACHE_SECONDS = 10
FAILED_WINDOW = timedelta(hours=1)


def count_queries(stats: dict | None = None):
    """An execute wrapper (``connection.execute_wrapper``) feeding the ``django_db_*`` series.

    ``stats`` (if given) collects the request's own count and time for its log line.
    """

    def wrapper(execute, sql, params, many, context):
        db = context["connection"]
        labels = (db.alias, db.vendor)
        execute_total.labels(*labels).inc(len(params) if many and params is not None else 1)
        start = time.perf_counter()
        try:
            return execute(sql, params, many, context)
        except Exception as exc:
            errors_total.labels(*labels, type(exc).__name__).inc()
            raise
        finally:
            elapsed = time.perf_counter() - start
            query_duration_seconds.labels(*labels).observe(elapsed)
            if stats is not None:
                stats["queries"] += 1
                stats["seconds"] += elapsed

    return wrapper


def count_connection(sender, connection, **kwargs):
    connections_total.labels(connection.alias, connection.vendor).inc()


def _uses_task_table() -> bool:
    backend = settings.TASKS.get("default", {}).get("BACKEND", "")
    return backend.startswith("django_tasks_db.")


class TaskCollector:
    """kepu_tasks_* and kepu_workers_* from the task table and the heartbeats, at scrape time."""

    def __init__(self):
        self._lock = threading.Lock()
        self._cached: tuple[float, list] | None = None

    def describe(self):
        return []  # nothing is read when the collector is registered, only when scraped

    def collect(self):
        with self._lock:
            now = time.monotonic()
            if self._cached is None or now - self._cached[0] > TASKS_CACHE_SECONDS:
                self._cached = (now, self._read_or_down())
            return list(self._cached[1])

    def _read_or_down(self) -> list:
        """The figures and ``kepu_task_figures_up`` 1; only that at 0 when the database cannot say (request
        metrics are still worth scraping then)."""
        from django.db import DatabaseError

        up = GaugeMetricFamily("kepu_task_figures_up", "1 when the task and worker figures could be read.")
        try:
            families = self._read()
        except DatabaseError:
            up.add_metric([], 0)
            return [up]
        up.add_metric([], 1)
        return [up, *families]

    def _read(self) -> list:
        from django.db.models import Count, Max, Min, Q

        from kepu.core.models import WorkerBeat
        from kepu.core.worker import STALE_AFTER

        now = timezone.now()
        families = []
        beats = WorkerBeat.objects.filter(stopped_at__isnull=True).aggregate(
            alive=Count("id", filter=Q(last_seen_at__gte=now - STALE_AFTER)),
            latest=Max("last_seen_at"),
        )
        alive = GaugeMetricFamily("kepu_workers_alive", "Task workers seen in the last minute.")
        alive.add_metric([], beats["alive"] or 0)
        families.append(alive)
        if beats["latest"] is not None:
            age = GaugeMetricFamily("kepu_worker_heartbeat_age_seconds", "Seconds since a task worker was last seen.")
            age.add_metric([], max(0.0, (now - beats["latest"]).total_seconds()))
            families.append(age)
        if not _uses_task_table():
            return families
        from django_tasks_db.models import DBTaskResult

        # READY has a partial index; RUNNING rows are few; FAILED is bounded by the hour.
        ready = DBTaskResult.objects.ready().aggregate(n=Count("id"), oldest=Min("enqueued_at"))
        running = DBTaskResult.objects.running().count()
        failed = DBTaskResult.objects.failed().filter(finished_at__gte=now - FAILED_WINDOW).count()
        for name, text, value in (
            ("kepu_tasks_queued", "Tasks waiting for a worker (ready to run).", ready["n"]),
            ("kepu_tasks_running", "Tasks a worker is running.", running),
            ("kepu_tasks_failed_last_hour", "Tasks that failed in the last hour.", failed),
        ):
            family = GaugeMetricFamily(name, text)
            family.add_metric([], value)
            families.append(family)
        oldest = GaugeMetricFamily("kepu_tasks_oldest_queued_age_seconds", "Age of the oldest task still waiting.")
        oldest.add_metric([], (now - ready["oldest"]).total_seconds() if ready["oldest"] else 0.0)
        families.append(oldest)
        return families


_tasks = TaskCollector()


@lru_cache(maxsize=8)
def _networks(allowed: tuple[str, ...]) -> tuple:
    return tuple(ipaddress.ip_network(item, strict=False) for item in allowed)


def allowed(request) -> bool:
    """A scraper from an allowed address, or one that shows the token (compared in constant time)."""
    token = getattr(settings, "KEPU_METRICS_TOKEN", "")
    header = request.META.get("HTTP_AUTHORIZATION", "")
    if token and header.startswith("Bearer ") and secrets.compare_digest(header[7:].encode(), token.encode()):
        return True
    networks = _networks(tuple(getattr(settings, "KEPU_METRICS_ALLOW", ())))
    address = client_ip(request)
    if not networks or address is None:
        return False
    return any(ipaddress.ip_address(address) in net for net in networks)


def render() -> bytes:
    """The exposition text: django-prometheus's series (from every gunicorn worker in multiprocess mode) and ours."""
    if os.environ.get("PROMETHEUS_MULTIPROC_DIR"):
        from prometheus_client import multiprocess

        registry = prometheus_client.CollectorRegistry()
        multiprocess.MultiProcessCollector(registry)
    else:
        registry = prometheus_client.REGISTRY
    ours = prometheus_client.CollectorRegistry(auto_describe=False)
    ours.register(_tasks)
    return prometheus_client.generate_latest(registry) + prometheus_client.generate_latest(ours)


def metrics_view(request):
    if not allowed(request):
        return HttpResponse("forbidden\n", status=403, content_type="text/plain")
    return HttpResponse(render(), content_type=prometheus_client.CONTENT_TYPE_LATEST)
