"""The Redis task backend in the test suite (KEPU_TEST_TASKS_BACKEND=rq with KEPU_REDIS_URL).

Each enqueue goes through django-tasks-rq into a real Redis, and an RQ worker with django-tasks-rq's job class
takes it from there at once, in this process and on this database connection (so it sees the test's rows, as
the immediate backend does). What runs is production's path: the job pickled into Redis, fetched, run by RQ, its
result and status read back from Redis. A task a running task enqueues (a fan-out's next wave) is picked up
by the same worker, as a real one would.
"""

from __future__ import annotations

import threading

import django_rq
from django_tasks_rq.backend import Job, RQBackend
from rq import SimpleWorker
from rq.timeouts import TimerDeathPenalty

_draining = threading.local()


class _Worker(SimpleWorker):
    # RQ's default time limit arms SIGALRM, which pytest-timeout owns.
    death_penalty_class = TimerDeathPenalty

    def subscribe(self):
        # The channel for commands to a long-lived worker (stop, kill a job): this one lives for one burst, and
        # leaving the channel waits up to a minute for its listening thread.
        pass


class DrainingRQBackend(RQBackend):
    def enqueue(self, task, args, kwargs):
        result = super().enqueue(task, args, kwargs)
        if getattr(_draining, "active", False) or task.run_after is not None:
            return result
        _draining.active = True
        try:
            queue = django_rq.get_queue(task.queue_name, job_class=Job)
            _Worker([queue], connection=queue.connection, job_class=Job).work(burst=True, logging_level="WARNING")
        finally:
            _draining.active = False
        return self.get_result(result.id)
