"""A backup that keeps personal data encrypted: the database as stored, never decrypted on the way.

Beside FILE, FILE.manifest.json holds each table's row count and checksum from the same snapshot as the
backup, which `manage.py restore` checks the restored database against.
"""

import os
import sqlite3
import subprocess
from pathlib import Path

from django.core.management.base import BaseCommand, CommandError
from django.db import connection, transaction

from kepu.core import backups


class Command(BaseCommand):
    help = (
        "Back up the database to PATH with personal data as ciphertext (SQLite: an online copy of the file; "
        "PostgreSQL: pg_dump in its custom format), with PATH.manifest.json (row counts and checksums per table). "
        "Uploaded files under MEDIA_ROOT are copied separately."
    )

    def add_arguments(self, parser):
        parser.add_argument("path", help="the file to write")
        parser.add_argument(
            "--no-checksums", action="store_true", help="skip the manifest (restore cannot verify the copy then)"
        )

    def handle(self, *args, path, no_checksums, **options):
        target = Path(path)
        if target.exists():
            raise CommandError(f"{target} exists; choose a new file.")
        target.parent.mkdir(parents=True, exist_ok=True)
        if connection.vendor == "sqlite":
            tables = self._sqlite(target, not no_checksums)
        elif connection.vendor == "postgresql":
            tables = self._postgresql(target, not no_checksums)
        else:
            raise CommandError(f"No backup for {connection.vendor}.")
        if tables is not None:
            backups.write_manifest(target, connection.vendor, tables)
        self.stdout.write(f"backup written to {target} (personal data stays encrypted)")

    def _sqlite(self, target: Path, checksums: bool):
        connection.ensure_connection()
        destination = sqlite3.connect(target)
        try:
            connection.connection.backup(destination)  # consistent while the site runs
        finally:
            destination.close()
        if not checksums:
            return None
        # Hashed from the copy, not the live file, which may have moved on since.
        copy = backups.sqlite_wrapper(connection, target)
        try:
            return backups.table_checksums(copy)
        finally:
            copy.close()

    def _postgresql(self, target: Path, checksums: bool):
        pg_dump = backups.pg_tool("pg_dump", connection)
        conn_args, env = backups.pg_command_env(connection)
        cmd = [pg_dump, "--format=custom", "--no-owner", f"--file={target}", *conn_args]
        if not checksums:
            subprocess.run(cmd, check=True, env={**os.environ, **env})
            return None
        # pg_dump reads the snapshot this transaction exports, so the checksums describe exactly what it wrote.
        with transaction.atomic():
            with connection.cursor() as cursor:
                cursor.execute("SET TRANSACTION ISOLATION LEVEL REPEATABLE READ, READ ONLY")
                cursor.execute("SELECT pg_export_snapshot()")
                snapshot = cursor.fetchone()[0]
            subprocess.run([*cmd, f"--snapshot={snapshot}"], check=True, env={**os.environ, **env})
            return backups.table_checksums(connection)
