"""Fast inserts of many rows for imports and city-scale data, for the services that own the tables."""

from __future__ import annotations

from collections.abc import Iterable, Sequence

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


def add_to_rows(
    model, key: Sequence[str], counters: Sequence[str], rows: Iterable[Sequence], *, unique: Sequence[str] = ()
) -> None:
    """Add amounts to the counters of the rows of ``model`` identified by ``key``, creating a row at the amounts
    where none exists; each of ``rows`` is the key's values then the counters' amounts. ``unique`` is the unique
    constraint that finds the row, when it is narrower than ``key`` (a column it determines is written too).

    One ``INSERT … ON CONFLICT … DO UPDATE SET c = c + excluded.c`` per row, atomic on SQLite and PostgreSQL: two
    transactions adding to the same new row can neither both insert it nor lose each other's amounts. The roll-ups
    the services keep in the transaction of each change (orders, volunteers' hours, people per place) all move so.
    Only the app that owns ``model`` calls it.
    """
    rows = list(rows)
    if not rows:
        return
    qn = connection.ops.quote_name
    table = qn(model._meta.db_table)
    keys = [qn(model._meta.get_field(f).column) for f in key]
    target = [qn(model._meta.get_field(f).column) for f in unique] or keys
    sums = [qn(model._meta.get_field(f).column) for f in counters]
    sets = ", ".join(f"{c} = {table}.{c} + excluded.{c}" for c in sums)
    sql = (
        f"INSERT INTO {table} ({', '.join(keys + sums)}) VALUES ({', '.join(['%s'] * (len(keys) + len(sums)))}) "
        f"ON CONFLICT ({', '.join(target)}) DO UPDATE SET {sets}"
    )
    with connection.cursor() as cursor:
        cursor.executemany(sql, rows)
