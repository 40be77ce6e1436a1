"""Rebuild the activities' derived tables: calendar tags and the monthly figures roll-up.

The services keep both exact as they go; this recomputes them from the source rows (after a
bulk load, or to check: ``--check`` compares the roll-up with a recomputation and changes
nothing).
"""

from django.core.management.base import BaseCommand, CommandError
from django.db import connection, transaction

from kepu.activities import rollup
from kepu.activities.models import (
    Activity,
    ActivityPopulation,
    ActivityTopic,
    DeliveredService,
    FiguresMonth,
    FiguresMonthDistrict,
    Session,
    Topic,
)
from kepu.core.populations import Population

TABLES = (FiguresMonth, FiguresMonthDistrict)


def rebuild_tags() -> int:
    """One INSERT … SELECT per tag value (the same SQL on SQLite and PostgreSQL)."""
    activity = Activity._meta.db_table
    made = 0
    with transaction.atomic(), connection.cursor() as cursor:
        for model, field, source, values in (
            (ActivityTopic, "topic", "topics", Topic.values),
            (ActivityPopulation, "population", "populations", Population.values),
        ):
            model.objects.all().delete()
            for value in values:
                cursor.execute(
                    f"INSERT INTO {model._meta.db_table} (activity_id, {field}, listed, starts_at, ends_at, next_at) "
                    f"SELECT id, %s, (status = 'published' AND is_public), starts_at, ends_at, next_at "
                    f"FROM {activity} WHERE {source} LIKE %s",
                    [value, f"%,{value},%"],
                )
                made += cursor.rowcount
    return made


class Command(BaseCommand):
    help = __doc__

    def add_arguments(self, parser):
        parser.add_argument("--check", action="store_true", help="compare the roll-up with a recomputation only")
        parser.add_argument("--figures-only", action="store_true", help="leave the calendar tags alone")

    def handle(self, *args, check=False, figures_only=False, **options):
        if check:
            want = rollup.recompute(Session, DeliveredService)
            have, have_district = rollup.stored(TABLES)
            want_district = rollup.by_district(want)
            wrong = sorted(str(k) for k in set(want) | set(have) if want.get(k) != have.get(k))
            wrong += sorted(
                str(k) for k in set(want_district) | set(have_district) if want_district.get(k) != have_district.get(k)
            )
            if wrong:
                raise CommandError(f"{len(wrong)} roll-up rows differ, e.g. {wrong[:3]}")
            self.stdout.write(f"roll-up matches the sessions ({len(have)} rows)")
            return
        if not figures_only:
            self.stdout.write(f"{rebuild_tags()} calendar tags")
        self.stdout.write(f"{rollup.rebuild(TABLES, Session, DeliveredService)} roll-up rows")
