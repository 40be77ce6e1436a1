"""What backup and restore share: the PostgreSQL client tools, the per-table checksums and the manifest.

A backup is the database as stored (personal data stays ciphertext). Beside it, ``FILE.manifest.json``
records each table's row count and a checksum over its rows in primary-key order, taken from the same
snapshot as the backup itself, so a restore can prove that it brought back exactly what was saved.
"""

from __future__ import annotations

import hashlib
import json
import shutil
from pathlib import Path

from django.core.management.base import CommandError

SQLITE_MAGIC = b"SQLite format 3\x00"
PG_CUSTOM_MAGIC = b"PGDMP"
FETCH_ROWS = 2000


def manifest_path(backup: Path) -> Path:
    return backup.with_name(backup.name + ".manifest.json")


def pg_tool(name: str, connection) -> str:
    """The client tool (pg_dump, pg_restore) of the server's major version when Debian installed it, else PATH's.

    A newer pg_dump writes archives an older pg_restore cannot read, and a newer pg_restore emits settings
    an older server refuses: the server's own version is the safe choice.
    """
    connection.ensure_connection()
    major = connection.pg_version // 10000
    versioned = Path(f"/usr/lib/postgresql/{major}/bin/{name}")
    if versioned.exists():
        return str(versioned)
    found = shutil.which(name)
    if not found:
        raise CommandError(f"{name} is not installed (Debian: postgresql-client-{major}).")
    return found


def pg_command_env(connection) -> tuple[list[str], dict[str, str]]:
    """Connection arguments for the PostgreSQL tools, and the password through the environment (never argv)."""
    s = connection.settings_dict
    args = ["--dbname", s["NAME"]]
    for flag, key in (("--host", "HOST"), ("--port", "PORT"), ("--username", "USER")):
        if s.get(key):
            args += [flag, str(s[key])]
    return args, ({"PGPASSWORD": s["PASSWORD"]} if s.get("PASSWORD") else {})


def user_tables(connection) -> list[str]:
    """Every table (no views) of the database, sorted."""
    with connection.cursor() as cursor:
        return sorted(t.name for t in connection.introspection.get_table_list(cursor) if t.type == "t")


def _order_by(connection, cursor, table: str, width: int) -> str:
    quote = connection.ops.quote_name
    keys = connection.introspection.get_primary_key_columns(cursor, table) or []
    if keys:
        return ", ".join(quote(k) for k in keys)
    return ", ".join(str(i) for i in range(1, width + 1))  # no key: every column, so the order is still total


def _plain(value):
    return bytes(value) if isinstance(value, memoryview) else value


def table_checksums(connection) -> dict[str, dict]:
    """{table: {"rows": n, "sha256": hex}} over every table's rows in key order.

    Values are hashed as the driver returns them, so two databases compare equal only on the same engine
    (a restore is compared with its backup, never SQLite with PostgreSQL).
    """
    quote = connection.ops.quote_name
    result = {}
    for table in user_tables(connection):
        with connection.cursor() as cursor:
            cursor.execute(f"SELECT * FROM {quote(table)} WHERE 1 = 0")  # noqa: S608 - names from the catalogue
            width = len(cursor.description)
            order = _order_by(connection, cursor, table, width)
        digest = hashlib.sha256()
        rows = 0
        # A server-side cursor on PostgreSQL: a million residents are hashed without holding them in memory.
        with connection.chunked_cursor() as cursor:
            cursor.execute(f"SELECT * FROM {quote(table)} ORDER BY {order}")  # noqa: S608
            while batch := cursor.fetchmany(FETCH_ROWS):
                for row in batch:
                    digest.update(repr(tuple(_plain(v) for v in row)).encode())
                    digest.update(b"\n")
                rows += len(batch)
        result[table] = {"rows": rows, "sha256": digest.hexdigest()}
    return result


def write_manifest(backup: Path, vendor: str, tables: dict) -> Path:
    path = manifest_path(backup)
    path.write_text(json.dumps({"vendor": vendor, "tables": tables}, indent=1, sort_keys=True), encoding="utf-8")
    return path


def read_manifest(backup: Path) -> dict | None:
    path = manifest_path(backup)
    if not path.exists():
        return None
    return json.loads(path.read_text(encoding="utf-8"))


def differences(expected: dict, found: dict) -> list[str]:
    """What differs between two checksum maps, in words (empty when identical)."""
    problems = []
    for table in sorted(set(expected) | set(found)):
        if table not in found:
            problems.append(f"{table}: missing")
        elif table not in expected:
            problems.append(f"{table}: not in the backup")
        elif expected[table] != found[table]:
            problems.append(
                f"{table}: {found[table]['rows']} rows, checksum {found[table]['sha256'][:12]} "
                f"(backup: {expected[table]['rows']} rows, {expected[table]['sha256'][:12]})"
            )
    return problems


def sqlite_wrapper(connection, path: Path):
    """A Django connection to another SQLite file (a backup), outside the configured databases."""
    from django.db.backends.sqlite3.base import DatabaseWrapper

    settings_dict = {**connection.settings_dict, "NAME": str(path), "OPTIONS": {}}
    return DatabaseWrapper(settings_dict, alias="__backup__")
