"""Rebuild full-text search indexes from their apps' records (after a restore, or a change of dictionary)."""

from django.core.management.base import BaseCommand, CommandError
from django.db import transaction

from kepu.core import search


class Command(BaseCommand):
    help = "Rebuild the full-text search indexes (all, or the ones named)."

    def add_arguments(self, parser):
        parser.add_argument("names", nargs="*", help="index names (default: every index)")

    def handle(self, *names, **options):
        indexes = search.all_indexes() if not names else [search.index_named(n) for n in names]
        if any(i is None for i in indexes):
            raise CommandError(f"unknown index; known: {', '.join(i.name for i in search.all_indexes())}")
        for index in indexes:
            with transaction.atomic():
                n = index.rebuild()
            self.stdout.write(f"{index.name}: {n} documents")
