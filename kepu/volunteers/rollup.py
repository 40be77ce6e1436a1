"""The hours per month (``HoursMonth``): what each ledger line adds to it, and keeping it equal to the ledger.

``credit_hours`` calls ``add`` in the transaction that appends the line, so the table is exact on every read;
``recompute`` counts the ledger again (the property test, the data migration's check) and ``rebuild`` refills
the table from the ledger inside the database (a repair; the migration that introduced the table).
"""

from __future__ import annotations

from datetime import date

from django.db import connection, transaction
from django.db.models import Count, F, Sum
from django.db.models.functions import TruncMonth

from kepu.volunteers.models import HoursEntry, HoursMonth

_TABLE = HoursMonth._meta.db_table
_COLUMNS = (*HoursMonth.KEY, "minutes", "entries")


def _upsert_sql() -> str:
    qn = connection.ops.quote_name
    cols = ", ".join(qn(c) for c in _COLUMNS)
    conflict = ", ".join(qn(c) for c in HoursMonth.KEY)
    sets = ", ".join(f"{qn(c)} = {qn(_TABLE)}.{qn(c)} + excluded.{qn(c)}" for c in ("minutes", "entries"))
    return (
        f"INSERT INTO {qn(_TABLE)} ({cols}) VALUES (%s, %s, %s, %s, %s) ON CONFLICT ({conflict}) DO UPDATE SET {sets}"
    )


def add(*, organization_id: int, place_path: str, served_on: date, minutes: int) -> None:
    """Add one ledger line. One statement, atomic on both databases: two entries of one team's month committed
    at once cannot both insert its row, nor lose each other's minutes."""
    with connection.cursor() as cursor:
        cursor.execute(_upsert_sql(), [served_on.replace(day=1), organization_id, place_path, minutes, 1])


def _ledger():
    return (
        HoursEntry.objects.order_by()
        .annotate(r_month=TruncMonth("served_on"), r_path=F("organization__place__path"))
        .values("r_month", "organization_id", "r_path")
        .annotate(r_minutes=Sum("minutes"), r_entries=Count("pk"))
    )


def recompute() -> dict[tuple, tuple[int, int]]:
    """{(month, organization id, place path): (minutes, entries)} counted from the ledger itself."""
    return {(r["r_month"], r["organization_id"], r["r_path"]): (r["r_minutes"], r["r_entries"]) for r in _ledger()}


def stored() -> dict[tuple, tuple[int, int]]:
    return {
        (r["month"], r["organization_id"], r["place_path"]): (r["minutes"], r["entries"])
        for r in HoursMonth.objects.filter(entries__gt=0).values(*HoursMonth.KEY, "minutes", "entries")
    }


@transaction.atomic
def rebuild() -> int:
    """Empty the table and fill it again from the ledger, in one statement; return its row count. The ledger is
    locked against writers meanwhile on PostgreSQL (an entry appended between would be counted twice or never)."""
    qn = connection.ops.quote_name
    if connection.vendor == "postgresql":
        with connection.cursor() as cursor:
            cursor.execute(f"LOCK TABLE {qn(HoursEntry._meta.db_table)} IN SHARE MODE")
    HoursMonth.objects.all().delete()
    sql, params = _ledger().query.sql_with_params()
    cols = ", ".join(qn(c) for c in _COLUMNS)
    with connection.cursor() as cursor:
        cursor.execute(
            f"INSERT INTO {qn(_TABLE)} ({cols}) SELECT s.r_month, s.organization_id, s.r_path, "
            f"s.r_minutes, s.r_entries FROM ({sql}) s",
            params,
        )
    return HoursMonth.objects.count()
