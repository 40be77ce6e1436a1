"""Recompute the three rates' roll-up from the orders (after bulk inserts, or to repair it)."""

import time

from django.core.management.base import BaseCommand


class Command(BaseCommand):
    help = "Rebuild the three rates' roll-up (orders_orderrollup) from the orders."

    def add_arguments(self, parser):
        parser.add_argument(
            "--check", action="store_true", help="only compare the roll-up with the orders; exit 1 if they differ"
        )

    def handle(self, *args, check=False, **options):
        from kepu.orders import rollup

        started = time.monotonic()
        if check:
            expected, actual = rollup.recompute(), rollup.stored()
            wrong = {k for k in expected.keys() | actual.keys() if expected.get(k) != actual.get(k)}
            if wrong:
                self.stderr.write(f"{len(wrong)} roll-up rows differ from the orders, e.g. {sorted(wrong)[:3]}")
                raise SystemExit(1)
            self.stdout.write(f"the roll-up matches the orders ({len(expected)} rows)")
            return
        rows = rollup.rebuild()
        self.stdout.write(f"rebuilt the roll-up: {rows:,} rows in {time.monotonic() - started:.1f} s")
