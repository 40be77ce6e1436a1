"""Re-encrypt personal data under the newest key of ``KEPU_PII_KEYS``.

Rotation: put the new key first in ``KEPU_PII_KEYS`` (keeping the old ones after it), run this
command, then drop the old keys. It covers every ``EncryptedTextField`` of every installed model
(so people's phones in accounts as well as volunteers' ID numbers), in batches, one transaction each.
"""

from django.apps import apps
from django.core.management.base import BaseCommand
from django.db import connection, transaction

from kepu.core.pii import EncryptedTextField, rotate


def encrypted_columns():
    for model in apps.get_models():
        fields = [f for f in model._meta.concrete_fields if isinstance(f, EncryptedTextField)]
        if fields:
            yield model, fields


class Command(BaseCommand):
    help = "Re-encrypt every encrypted column under the newest personal-data key."

    def add_arguments(self, parser):
        parser.add_argument("--batch", type=int, default=2000)

    def handle(self, *args, batch: int, **options):
        qn = connection.ops.quote_name
        for model, fields in encrypted_columns():
            table, pk = model._meta.db_table, model._meta.pk.column
            columns = [f.column for f in fields]
            done, last = 0, None
            while True:
                with transaction.atomic(), connection.cursor() as cursor:
                    where = f"WHERE {qn(pk)} > %s " if last is not None else ""
                    cursor.execute(
                        f"SELECT {qn(pk)}, {', '.join(qn(c) for c in columns)} FROM {qn(table)} {where}"
                        f"ORDER BY {qn(pk)} LIMIT %s",
                        [last, batch] if last is not None else [batch],
                    )
                    rows = cursor.fetchall()
                    for row in rows:
                        values = [rotate(v) if v else v for v in row[1:]]
                        assignments = ", ".join(f"{qn(c)} = %s" for c in columns)
                        cursor.execute(f"UPDATE {qn(table)} SET {assignments} WHERE {qn(pk)} = %s", [*values, row[0]])
                if not rows:
                    break
                done += len(rows)
                last = rows[-1][0]
            self.stdout.write(f"{model._meta.label}: {done} rows re-encrypted ({', '.join(columns)})")
