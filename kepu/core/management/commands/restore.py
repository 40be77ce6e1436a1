"""Bring a backup back: into an empty database, or over a full one only when told to (--replace) and confirmed.

The restored database is then checked against the backup's manifest (row counts and checksums per table):
a restore that does not reproduce the backup fails loudly instead of leaving a quietly different database.
"""

import os
import sqlite3
import subprocess
from pathlib import Path

from django.core.management.base import BaseCommand, CommandError
from django.db import connection

from kepu.core import backups


class Command(BaseCommand):
    help = (
        "Restore a backup made by `manage.py backup` (SQLite: the copied file; PostgreSQL: pg_restore of its "
        "custom-format dump) into the configured database, which must be empty unless --replace is given. "
        "Stop the web server, worker and scheduler first. On PostgreSQL run it as the owner role, then "
        "`grant_app_role`."
    )

    def add_arguments(self, parser):
        parser.add_argument("path", help="the backup file")
        parser.add_argument(
            "--replace", action="store_true", help="overwrite a database that has tables (everything in it is lost)"
        )
        parser.add_argument(
            "--no-input", action="store_false", dest="interactive", help="do not ask before --replace overwrites"
        )

    def handle(self, *args, path, replace, interactive, **options):
        source = Path(path)
        if not source.is_file():
            raise CommandError(f"{source} is not a file.")
        with source.open("rb") as file:
            head = file.read(16)
        expected = {"sqlite": backups.SQLITE_MAGIC, "postgresql": backups.PG_CUSTOM_MAGIC}.get(connection.vendor)
        if expected is None:
            raise CommandError(f"No restore for {connection.vendor}.")
        if not head.startswith(expected):
            raise CommandError(f"{source} is not a {connection.vendor} backup made by `manage.py backup`.")
        name = connection.settings_dict["NAME"]
        existing = backups.user_tables(connection)
        if existing and not replace:
            raise CommandError(
                f"The database {name} is not empty ({len(existing)} tables). Restore into an empty database, "
                "or pass --replace to overwrite it."
            )
        if existing and interactive:
            answer = input(f"Every table of {name} will be replaced by {source}. Type 'replace' to go on: ")
            if answer.strip() != "replace":
                raise CommandError("Nothing was changed.")
        if connection.vendor == "sqlite":
            self._sqlite(source)
        else:
            self._postgresql(source, clean=bool(existing))
        connection.close()  # nothing cached from the database as it was
        self._verify(source)

    def _sqlite(self, source: Path):
        connection.ensure_connection()
        backup = sqlite3.connect(f"file:{source}?mode=ro", uri=True)
        try:
            backup.backup(connection.connection)  # page by page, in one step: all of it or nothing
        finally:
            backup.close()

    def _postgresql(self, source: Path, clean: bool):
        pg_restore = backups.pg_tool("pg_restore", connection)
        conn_args, env = backups.pg_command_env(connection)
        # Owners and grants are the target's business (grant_app_role); one transaction: all of it or nothing.
        cmd = [pg_restore, "--no-owner", "--no-privileges", "--single-transaction", "--exit-on-error", *conn_args]
        if clean:
            cmd += ["--clean", "--if-exists"]
        connection.close()
        run = subprocess.run([*cmd, str(source)], env={**os.environ, **env}, capture_output=True, text=True)
        if run.returncode != 0:
            raise CommandError(f"pg_restore failed, nothing was restored:\n{run.stderr.strip()}")

    def _verify(self, source: Path):
        manifest = backups.read_manifest(source)
        if manifest is None:
            self.stdout.write(f"restored {source} (no manifest beside it: the copy was not verified)")
            return
        problems = backups.differences(manifest["tables"], backups.table_checksums(connection))
        if problems:
            raise CommandError("The restored database differs from the backup:\n  " + "\n  ".join(problems))
        self.stdout.write(f"restored {source}: {len(manifest['tables'])} tables, row counts and checksums match")
