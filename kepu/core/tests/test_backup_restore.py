"""Backup and restore: a round trip gives back the same database, table by table, with personal data still encrypted.

The restore runs as an operator would run it, `manage.py restore` in its own process against a fresh database,
and the restored tables are hashed by yet another process, so nothing of the source is shared with the copy.
"""

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest
from django.core.management import call_command
from django.core.management.base import CommandError
from django.db import connection

from kepu.core.backups import manifest_path, table_checksums

ROOT = Path(__file__).resolve().parents[3]
ON_POSTGRES = os.environ.get("DATABASE_URL", "").startswith("postgres")
PHONE = "13912345678"

HASH_TABLES = (
    "import json, django; django.setup(); from django.db import connection; "
    "from kepu.core.backups import table_checksums; print(json.dumps(table_checksums(connection)))"
)
# Someone signs in on the restored copy: it is no longer what the backup holds.
CHANGE_COPY = (
    "import django; django.setup(); from django.utils import timezone; "
    "from django.contrib.sessions.models import Session; "
    "Session.objects.create(session_key='s' * 32, session_data='', expire_date=timezone.now())"
)


def _seed(world):
    """People of every role (phones encrypted), an activity with a sign-up, audit entries along the way."""
    from kepu.accounts.tests.factories import UserFactory
    from kepu.activities import services
    from kepu.activities.tests.factories import published_activity

    UserFactory(phone=PHONE)
    activity = published_activity(world.a.unit_staff)
    services.registration_create(actor=world.a.resident, session=activity.sessions.get())


def _env(database: dict) -> dict:
    env = {k: v for k, v in os.environ.items() if k not in ("DATABASE_URL", "KEPU_SQLITE_PATH")}
    env.update({"PYTHONPATH": str(ROOT), "DJANGO_SETTINGS_MODULE": "kepu.settings", "KEPU_TESTING": "1", **database})
    return env


def _manage(env: dict, *args) -> subprocess.CompletedProcess:
    return subprocess.run(
        [sys.executable, str(ROOT / "manage.py"), *args], env=env, cwd=ROOT, capture_output=True, text=True
    )


def _python(env: dict, code: str) -> str:
    run = subprocess.run([sys.executable, "-c", code], env=env, cwd=ROOT, capture_output=True, text=True)
    assert run.returncode == 0, run.stderr
    return run.stdout


def _round_trip(tmp_path, fresh_env: dict):
    source = table_checksums(connection)
    backup = tmp_path / "kepu.backup"
    call_command("backup", str(backup))
    assert json.loads(manifest_path(backup).read_text())["tables"] == source  # the manifest is this snapshot

    restored = _manage(fresh_env, "restore", str(backup), "--no-input")
    assert restored.returncode == 0, restored.stderr
    assert "checksums match" in restored.stdout

    copy = json.loads(_python(fresh_env, HASH_TABLES))
    assert copy == source
    # Not a round trip of nothing: people, the sign-up and the audit trail came along.
    assert copy["accounts_user"]["rows"] > 10 and copy["activities_registration"]["rows"] == 1
    assert copy["core_auditentry"]["rows"] > 0

    # The copy has moved on: restoring over it needs --replace, which brings back the backup exactly.
    _python(fresh_env, CHANGE_COPY)
    refused = _manage(fresh_env, "restore", str(backup), "--no-input")
    assert refused.returncode != 0 and "not empty" in refused.stderr
    replaced = _manage(fresh_env, "restore", str(backup), "--replace", "--no-input")
    assert replaced.returncode == 0, replaced.stderr
    assert json.loads(_python(fresh_env, HASH_TABLES)) == source
    return backup


@pytest.mark.skipif(ON_POSTGRES, reason="the SQLite round trip; the PostgreSQL one is below")
@pytest.mark.django_db(transaction=True)  # the backup reads committed rows only
def test_a_sqlite_backup_restores_an_identical_database(world, tmp_path):
    _seed(world)
    fresh = tmp_path / "fresh.sqlite3"
    backup = _round_trip(tmp_path, _env({"KEPU_SQLITE_PATH": str(fresh)}))
    for raw in (backup.read_bytes(), fresh.read_bytes()):
        assert PHONE.encode() not in raw and b"gAAAAA" in raw  # Fernet ciphertext, in the backup and the copy


@pytest.fixture
def fresh_pg_database():
    """An empty PostgreSQL database beside the test database, dropped afterwards."""
    import psycopg

    s = connection.settings_dict
    name = f"{s['NAME']}_restored"[:63]
    params = {"host": s.get("HOST") or None, "port": s.get("PORT") or None, "user": s.get("USER") or None}
    params = {k: v for k, v in params.items() if v}
    with psycopg.connect(dbname="postgres", password=s.get("PASSWORD") or None, autocommit=True, **params) as admin:
        admin.execute(f'DROP DATABASE IF EXISTS "{name}"')
        admin.execute(f'CREATE DATABASE "{name}"')
    user = s.get("USER") or ""
    password = f":{s['PASSWORD']}" if s.get("PASSWORD") else ""
    url = f"postgres://{user}{password}@{s.get('HOST') or '127.0.0.1'}:{s.get('PORT') or 5432}/{name}"
    yield url
    with psycopg.connect(dbname="postgres", password=s.get("PASSWORD") or None, autocommit=True, **params) as admin:
        admin.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


@pytest.mark.postgres
@pytest.mark.skipif(not ON_POSTGRES, reason="pg_dump and pg_restore need PostgreSQL")
@pytest.mark.django_db(transaction=True)
def test_a_postgresql_backup_restores_an_identical_database(world, tmp_path, fresh_pg_database):
    _seed(world)
    backup = _round_trip(tmp_path, _env({"DATABASE_URL": fresh_pg_database}))
    assert backup.read_bytes().startswith(b"PGDMP")
    from kepu.core.backups import pg_tool

    data = subprocess.run(
        [pg_tool("pg_restore", connection), "--data-only", "--file=-", str(backup)],
        capture_output=True,
        text=True,
        check=True,
    ).stdout
    assert PHONE not in data and "gAAAAA" in data


@pytest.mark.django_db
def test_restore_refuses_a_database_that_has_tables_unless_told_to_replace_it(world, tmp_path, monkeypatch):
    from kepu.accounts.models import User

    people = User.objects.count()
    backup = tmp_path / "not-a-backup"
    backup.write_bytes(b"SQLite format 3\x00" if connection.vendor == "sqlite" else b"PGDMP")
    with pytest.raises(CommandError, match="not empty"):
        call_command("restore", str(backup))
    monkeypatch.setattr("builtins.input", lambda prompt: "no")
    with pytest.raises(CommandError, match="Nothing was changed"):
        call_command("restore", str(backup), "--replace")
    assert User.objects.count() == people


@pytest.mark.django_db
def test_restore_refuses_a_file_that_is_not_a_backup(tmp_path):
    junk = tmp_path / "notes.txt"
    junk.write_text("hello")
    with pytest.raises(CommandError, match="not a .* backup"):
        call_command("restore", str(junk))
