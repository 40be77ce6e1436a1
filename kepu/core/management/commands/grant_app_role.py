"""PostgreSQL: let the app's role read and write the tables, and nothing more (run as the owner).

The app connects as a role that owns no table, may not create any, and may not TRUNCATE: so it cannot
drop or disable the triggers that keep the audit trail and the hours ledger append-only, nor bypass
them. Default privileges cover the tables later migrations create.
"""

from django.core.management.base import BaseCommand, CommandError
from django.db import connection


class Command(BaseCommand):
    help = "Grant the app's database role SELECT/INSERT/UPDATE/DELETE on every table (PostgreSQL, as the owner)."

    def add_arguments(self, parser):
        parser.add_argument("role")

    def handle(self, *args, role, **options):
        if connection.vendor != "postgresql":
            raise CommandError("Database roles are a PostgreSQL matter; SQLite has none.")
        quoted = connection.ops.quote_name(role)
        statements = [
            # PostgreSQL 14 and older let every role (PUBLIC) create in the public schema: take that away too,
            # or revoking it from the app's role alone changes nothing.
            "REVOKE CREATE ON SCHEMA public FROM PUBLIC",
            f"REVOKE CREATE ON SCHEMA public FROM {quoted}",
            f"GRANT USAGE ON SCHEMA public TO {quoted}",
            f"GRANT SELECT, INSERT, UPDATE, DELETE ON ALL TABLES IN SCHEMA public TO {quoted}",
            f"GRANT USAGE, SELECT, UPDATE ON ALL SEQUENCES IN SCHEMA public TO {quoted}",
            f"ALTER DEFAULT PRIVILEGES IN SCHEMA public GRANT SELECT, INSERT, UPDATE, DELETE ON TABLES TO {quoted}",
            f"ALTER DEFAULT PRIVILEGES IN SCHEMA public GRANT USAGE, SELECT, UPDATE ON SEQUENCES TO {quoted}",
        ]
        with connection.cursor() as cursor:
            for sql in statements:
                cursor.execute(sql)
        self.stdout.write(f"granted {role} data access (no DDL, no TRUNCATE)")
