import time

from django.core.management.base import BaseCommand

from kepu.core.scheduler import enqueue_due


class Command(BaseCommand):
    help = "Enqueue periodic tasks when they are due (run next to `db_worker`)."

    def add_arguments(self, parser):
        parser.add_argument("--interval", type=int, default=30, help="seconds between checks")
        parser.add_argument("--once", action="store_true")

    def handle(self, *args, interval, once, **options):
        while True:
            for name in enqueue_due():
                self.stdout.write(f"enqueued {name}")
            if once:
                return
            time.sleep(interval)
