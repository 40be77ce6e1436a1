"""The database refuses updates of hours-ledger rows, so not even raw SQL can rewrite credited hours.

Deletes are refused by the model layer only: the test database is flushed between tests.
"""

from django.db import migrations

SQLITE = ["CREATE TRIGGER volunteers_hoursentry_no_update BEFORE UPDATE ON volunteers_hoursentry "
          "BEGIN SELECT RAISE(ABORT, 'the hours ledger is append-only'); END;"]
SQLITE_DROP = ["DROP TRIGGER IF EXISTS volunteers_hoursentry_no_update;"]
POSTGRES = [
    "CREATE OR REPLACE FUNCTION volunteers_hoursentry_append_only() RETURNS trigger AS $$ "
    "BEGIN RAISE EXCEPTION 'the hours ledger is append-only'; END; $$ LANGUAGE plpgsql;",
    "CREATE TRIGGER volunteers_hoursentry_append_only BEFORE UPDATE ON volunteers_hoursentry "
    "FOR EACH ROW EXECUTE FUNCTION volunteers_hoursentry_append_only();",
]
POSTGRES_DROP = [
    "DROP TRIGGER IF EXISTS volunteers_hoursentry_append_only ON volunteers_hoursentry;",
    "DROP FUNCTION IF EXISTS volunteers_hoursentry_append_only();",
]


def forwards(apps, schema_editor):
    for sql in {"sqlite": SQLITE, "postgresql": POSTGRES}.get(schema_editor.connection.vendor, []):
        schema_editor.execute(sql)


def backwards(apps, schema_editor):
    for sql in {"sqlite": SQLITE_DROP, "postgresql": POSTGRES_DROP}.get(schema_editor.connection.vendor, []):
        schema_editor.execute(sql)


class Migration(migrations.Migration):
    dependencies = [("volunteers", "0001_initial")]
    operations = [migrations.RunPython(forwards, backwards)]
