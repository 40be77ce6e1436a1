"""The hours per month (``HoursMonth``, and per month and district ``HoursMonthDistrict``): what each ledger line
adds to them, and keeping them equal to the ledger.

``credit_hours`` calls ``add`` in the transaction that appends the line, so the tables are exact on every read;
``recompute`` counts the ledger again (the property test, the data migrations' check) and ``rebuild`` refills
the tables from the ledger inside the database (a repair; the migrations that introduced them).
"""

from __future__ import annotations

from datetime import date

from django.db import connection, transaction
from django.db.models import Count, F, Sum
from django.db.models.functions import TruncMonth

from kepu.core.bulk import add_to_rows
from kepu.volunteers.models import HoursEntry, HoursMonth, HoursMonthDistrict


def add(*, organization_id: int, place_path: str, district_code: str, served_on: date, minutes: int) -> None:
    """Add one ledger line. One statement per table, atomic on both databases: two entries of one team's (or
    district's) month committed at once cannot both insert its row, nor lose each other's minutes."""
    month = served_on.replace(day=1)
    sums = ("minutes", "entries")
    add_to_rows(HoursMonth, HoursMonth.KEY, sums, [(month, organization_id, place_path, minutes, 1)])
    add_to_rows(HoursMonthDistrict, HoursMonthDistrict.KEY, sums, [(month, district_code, minutes, 1)])


def _ledger():
    return (
        HoursEntry.objects.order_by()
        .annotate(r_month=TruncMonth("served_on"), r_path=F("organization__place__path"))
        .values("r_month", "organization_id", "r_path")
        .annotate(r_minutes=Sum("minutes"), r_entries=Count("pk"))
    )


def _ledger_by_district():
    return (
        HoursEntry.objects.order_by()
        .annotate(r_month=TruncMonth("served_on"), r_district=F("organization__place__district_code"))
        .values("r_month", "r_district")
        .annotate(r_minutes=Sum("minutes"), r_entries=Count("pk"))
    )


def recompute() -> dict[tuple, tuple[int, int]]:
    """{(month, organization id, place path): (minutes, entries)} counted from the ledger itself."""
    return {(r["r_month"], r["organization_id"], r["r_path"]): (r["r_minutes"], r["r_entries"]) for r in _ledger()}


def recompute_districts() -> dict[tuple, tuple[int, int]]:
    """{(month, district code): (minutes, entries)} counted from the ledger itself."""
    return {(r["r_month"], r["r_district"]): (r["r_minutes"], r["r_entries"]) for r in _ledger_by_district()}


def stored(model=HoursMonth) -> dict[tuple, tuple[int, int]]:
    return {
        tuple(r[k] for k in model.KEY): (r["minutes"], r["entries"])
        for r in model.objects.filter(entries__gt=0).values(*model.KEY, "minutes", "entries")
    }


@transaction.atomic
def rebuild() -> int:
    """Empty both tables and fill them again from the ledger, one statement each; return ``HoursMonth``'s row
    count. The ledger is locked against writers meanwhile on PostgreSQL (an entry appended between would be
    counted twice or never)."""
    qn = connection.ops.quote_name
    if connection.vendor == "postgresql":
        with connection.cursor() as cursor:
            cursor.execute(f"LOCK TABLE {qn(HoursEntry._meta.db_table)} IN SHARE MODE")
    for model, ledger, keys in (
        (HoursMonth, _ledger(), ("r_month", "organization_id", "r_path")),
        (HoursMonthDistrict, _ledger_by_district(), ("r_month", "r_district")),
    ):
        model.objects.all().delete()
        sql, params = ledger.query.sql_with_params()
        cols = ", ".join(qn(c) for c in (*model.KEY, "minutes", "entries"))
        picked = ", ".join(f"s.{qn(k)}" for k in (*keys, "r_minutes", "r_entries"))
        with connection.cursor() as cursor:
            cursor.execute(f"INSERT INTO {qn(model._meta.db_table)} ({cols}) SELECT {picked} FROM ({sql}) s", params)
    return HoursMonth.objects.count()
