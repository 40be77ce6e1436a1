"""Fast inserts of many rows for imports and city-scale data, for the services that own the tables."""

from __future__ import annotations

from django.db import connection


def insert_rows(model, rows: list[dict], batch: int = 5000) -> None:
    """Insert rows given as ``{attname: database value}`` over a template of the model's defaults.

    ``bulk_create`` spends most of a 100,000-row import preparing each field of each instance;
    here the defaults are prepared once and each row only sets the columns it knows, already in
    their database form (encrypted text, JSON text). Columns come from the model's metadata, so
    a field added later with a default is filled in too. Only the app that owns ``model`` calls it.
    """
    fields = [f for f in model._meta.concrete_fields if not f.primary_key]
    template_obj = model()
    template = {}
    for f in fields:
        template[f.attname] = f.get_db_prep_save(f.pre_save(template_obj, True), connection)
    columns = [f.attname for f in fields]
    qn = connection.ops.quote_name
    sql = (
        f"INSERT INTO {qn(model._meta.db_table)} ({', '.join(qn(f.column) for f in fields)}) "
        f"VALUES ({', '.join(['%s'] * len(fields))})"
    )
    with connection.cursor() as cursor:
        for start in range(0, len(rows), batch):
            cursor.executemany(
                sql, [tuple(r.get(c, template[c]) for c in columns) for r in rows[start : start + batch]]
            )
