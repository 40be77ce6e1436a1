from django.core.management.base import BaseCommand, CommandError
from django.utils import timezone
from django.utils.crypto import get_random_string


class Command(BaseCommand):
    help = (
        "Run the background worker (django-tasks database backend) without the autoreloader: transient "
        "database errors are retried, a heartbeat shows it is alive, tasks of vanished workers are recovered."
    )

    def add_arguments(self, parser):
        parser.add_argument("--queue-name", default="default")
        parser.add_argument("--interval", type=float, default=1.0)
        parser.add_argument("--batch", action="store_true", help="run what is queued, then exit")
        parser.add_argument("--max-tasks", type=int, default=None)

    def handle(self, *args, queue_name, interval, batch, max_tasks, **options):
        from django_tasks_db.management.commands.db_worker import Worker
        from django_tasks_db.models import DBTaskResult

        from kepu.core import worker as kw
        from kepu.core.models import WorkerBeat

        try:
            from django_tasks import task_backends

            backend_name = "default"
            backend = task_backends[backend_name]
        except Exception as exc:  # noqa: BLE001
            raise CommandError(f"No task backend: {exc}") from None
        if type(backend).__name__ == "RQBackend":
            # The Redis backend (KEPU_TASKS_BACKEND=rq): RQ's worker, with the job class that runs django-tasks'
            # tasks, so `dev.py up` and `deploy --serve` start the right worker whichever backend is set.
            from django.core.management import call_command

            options = {"job_class": "django_tasks_rq.Job", "burst": batch, "with_scheduler": not batch}
            if max_tasks:
                options["max_jobs"] = max_tasks
            call_command("rqworker", *queue_name.split(","), **options)
            return
        if type(backend).__name__ != "DatabaseBackend":
            raise CommandError("run_worker works with the database and Redis backends; others bring their own worker.")

        class SupervisedWorker(Worker):
            current_task_id = None

            def run_task(self, db_task_result: DBTaskResult) -> None:
                self.current_task_id = db_task_result.pk
                super().run_task(db_task_result)
                self.current_task_id = None

        worker_id = get_random_string(32)
        worker = SupervisedWorker(
            queue_names=queue_name.split(","),
            interval=interval,
            batch=batch,
            backend_name=backend_name,
            startup_delay=not batch,
            max_tasks=max_tasks,
            worker_id=worker_id,
            excluded_queue_names=[],
        )
        heartbeat = kw.Heartbeat(worker_id)
        heartbeat.beat()
        kw.recover_abandoned()
        heartbeat.start()
        worker.configure_signals()
        self.stdout.write(f"worker {worker_id} started")
        stopped_on_purpose = False
        try:
            kw.run_supervised_loop(worker, heartbeat)
            stopped_on_purpose = True  # asked to stop, or a batch done
        finally:
            worker.reset_signals()
            heartbeat.stop.set()
            heartbeat.join(timeout=BEAT_JOIN_SECONDS)
            if stopped_on_purpose:
                WorkerBeat.objects.filter(worker_id=worker_id).update(stopped_at=timezone.now())
            # A crash leaves the beat unstopped: a minute later the operator's home shows the worker as gone
            # (stale_workers), which a crash marked "stopped" would hide.


BEAT_JOIN_SECONDS = 10
