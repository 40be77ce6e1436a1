"""SQLite: the audit trail's delete guard no longer reads a table that one INSERT could fill.

The guard asks ``kepu_flush_allowed()`` instead (kepu.core.dbguard), which only the test suite can
turn on; the ``core_auditunlock`` table goes. PostgreSQL keeps its triggers unchanged.
"""

from django.db import migrations

FORWARDS = [
    "DROP TRIGGER IF EXISTS core_auditentry_no_delete;",
    "DROP TABLE IF EXISTS core_auditunlock;",
    "CREATE TRIGGER core_auditentry_no_delete BEFORE DELETE ON core_auditentry "
    "WHEN NOT kepu_flush_allowed() "
    "BEGIN SELECT RAISE(ABORT, 'the audit trail is append-only'); END;",
]
BACKWARDS = [
    "DROP TRIGGER IF EXISTS core_auditentry_no_delete;",
    "CREATE TABLE IF NOT EXISTS core_auditunlock (id INTEGER PRIMARY KEY)",
    "CREATE TRIGGER core_auditentry_no_delete BEFORE DELETE ON core_auditentry "
    "WHEN NOT EXISTS (SELECT 1 FROM core_auditunlock) "
    "BEGIN SELECT RAISE(ABORT, 'the audit trail is append-only'); END;",
]


def forwards(apps, schema_editor):
    if schema_editor.connection.vendor == "sqlite":
        for sql in FORWARDS:
            schema_editor.execute(sql)


def backwards(apps, schema_editor):
    if schema_editor.connection.vendor == "sqlite":
        for sql in BACKWARDS:
            schema_editor.execute(sql)


class Migration(migrations.Migration):
    dependencies = [("core", "0004_counters_and_worker_beats")]
    operations = [migrations.RunPython(forwards, backwards)]
