"""Production in one command: checks, migrations (as the owner role), static files, then the services.

    python manage.py deploy            prepare: check --deploy, migrate, grant, collectstatic
    python manage.py deploy --serve    prepare, then run gunicorn, the worker and the scheduler (supervised)

See README.md ("Production") for the environment it needs.
"""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from pathlib import Path

from django.conf import settings
from django.core.management import call_command
from django.core.management.base import BaseCommand, CommandError

ROOT = Path(settings.BASE_DIR)


class Command(BaseCommand):
    help = "Prepare a production start (checks, migrations, grants, static files) and optionally serve."

    def add_arguments(self, parser):
        parser.add_argument("--serve", action="store_true", help="then run the web server, worker and scheduler")
        parser.add_argument("--bind", default=os.environ.get("KEPU_BIND", "127.0.0.1:8000"))
        parser.add_argument("--workers", type=int, default=int(os.environ.get("KEPU_WEB_WORKERS", "3")))
        parser.add_argument("--no-migrate", action="store_true", help="migrations are run elsewhere")

    def handle(self, *args, serve, bind, workers, no_migrate, **options):
        if settings.DEBUG:
            raise CommandError("deploy is for production: unset KEPU_DEBUG.")
        self.stdout.write("checking the deployment settings")
        call_command("check", deploy=True, fail_level="WARNING")
        if not no_migrate:
            self._migrate()
        self.stdout.write("collecting static files")
        call_command("collectstatic", interactive=False, verbosity=0)
        self.stdout.write(self.style.SUCCESS("ready"))
        if serve:
            self._serve(bind, workers)

    def _migrate(self):
        """Migrations run as the role that owns the tables; the app then connects as one that cannot change them."""
        owner_url = os.environ.get("KEPU_MIGRATE_DATABASE_URL")
        env = {**os.environ}
        if owner_url:
            env["DATABASE_URL"] = owner_url
        manage = [sys.executable, str(ROOT / "manage.py")]
        self.stdout.write("migrating" + (" as the owner role" if owner_url else ""))
        subprocess.run([*manage, "migrate", "--no-input", "-v", "0"], env=env, cwd=ROOT, check=True)
        app_role = os.environ.get("KEPU_APP_DB_ROLE")
        if owner_url and app_role:
            subprocess.run([*manage, "grant_app_role", app_role], env=env, cwd=ROOT, check=True)

    def _serve(self, bind, workers):
        from kepu.core.supervise import Supervised

        manage = [sys.executable, str(ROOT / "manage.py")]
        env = {**os.environ}
        services = [
            Supervised("worker", [*manage, "run_worker"], env, cwd=ROOT).start(),
            Supervised("scheduler", [*manage, "run_scheduler"], env, cwd=ROOT).start(),
        ]
        gunicorn = Path(sys.executable).with_name("gunicorn")
        server = subprocess.Popen(
            [str(gunicorn), "kepu.wsgi", "--bind", bind, "--workers", str(workers), "--threads", "4"],
            cwd=ROOT,
            env=env,
        )

        def stop(signum, frame):
            raise KeyboardInterrupt

        signal.signal(signal.SIGTERM, stop)
        try:
            server.wait()
        except KeyboardInterrupt:
            pass
        finally:
            if server.poll() is None:
                server.send_signal(signal.SIGTERM)
            for service in services:
                service.stop()
            time.sleep(0.5)
