"""The database refuses deletes of hours-ledger rows too (it already refused updates).

PostgreSQL: a row trigger (the test flush uses TRUNCATE, which the app's role may not run).
SQLite: a trigger that only the test suite's flush can pass (kepu.core.dbguard).
"""

from django.db import migrations

SQLITE = [
    "CREATE TRIGGER volunteers_hoursentry_no_delete BEFORE DELETE ON volunteers_hoursentry "
    "WHEN NOT kepu_flush_allowed() "
    "BEGIN SELECT RAISE(ABORT, 'the hours ledger is append-only'); END;"
]
SQLITE_DROP = ["DROP TRIGGER IF EXISTS volunteers_hoursentry_no_delete;"]
POSTGRES = [
    "CREATE TRIGGER volunteers_hoursentry_no_delete BEFORE DELETE ON volunteers_hoursentry "
    "FOR EACH ROW EXECUTE FUNCTION volunteers_hoursentry_append_only();",
]
POSTGRES_DROP = ["DROP TRIGGER IF EXISTS volunteers_hoursentry_no_delete ON volunteers_hoursentry;"]


def forwards(apps, schema_editor):
    for sql in {"sqlite": SQLITE, "postgresql": POSTGRES}.get(schema_editor.connection.vendor, []):
        schema_editor.execute(sql)


def backwards(apps, schema_editor):
    for sql in {"sqlite": SQLITE_DROP, "postgresql": POSTGRES_DROP}.get(schema_editor.connection.vendor, []):
        schema_editor.execute(sql)


class Migration(migrations.Migration):
    dependencies = [("volunteers", "0005_expert_terms_narrowed")]
    operations = [migrations.RunPython(forwards, backwards)]
