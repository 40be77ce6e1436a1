"""A backup that keeps personal data encrypted: the database as stored, never decrypted on the way."""

import shutil
import sqlite3
import subprocess
from pathlib import Path

from django.core.management.base import BaseCommand, CommandError
from django.db import connection


class Command(BaseCommand):
    help = (
        "Back up the database to PATH with personal data as ciphertext (SQLite: an online copy of the file; "
        "PostgreSQL: pg_dump in its custom format). Uploaded files under MEDIA_ROOT are copied separately."
    )

    def add_arguments(self, parser):
        parser.add_argument("path", help="the file to write")

    def handle(self, *args, path, **options):
        target = Path(path)
        if target.exists():
            raise CommandError(f"{target} exists; choose a new file.")
        target.parent.mkdir(parents=True, exist_ok=True)
        if connection.vendor == "sqlite":
            connection.ensure_connection()
            destination = sqlite3.connect(target)
            try:
                connection.connection.backup(destination)  # consistent while the site runs
            finally:
                destination.close()
        elif connection.vendor == "postgresql":
            if not shutil.which("pg_dump"):
                raise CommandError("pg_dump is not installed (Debian: postgresql-client).")
            s = connection.settings_dict
            env = {"PGPASSWORD": s.get("PASSWORD") or ""}
            cmd = ["pg_dump", "--format=custom", "--no-owner", f"--file={target}", "--dbname", s["NAME"]]
            for flag, key in (("--host", "HOST"), ("--port", "PORT"), ("--username", "USER")):
                if s.get(key):
                    cmd += [flag, str(s[key])]
            import os

            subprocess.run(cmd, check=True, env={**os.environ, **env})
        else:
            raise CommandError(f"No backup for {connection.vendor}.")
        self.stdout.write(f"backup written to {target} (personal data stays encrypted)")
