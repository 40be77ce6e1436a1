"""The demo seeded once for a whole test module (the seeding is the slow part, twice so on PostgreSQL)."""

from __future__ import annotations

import io
from contextlib import contextmanager

from django.core.management import call_command


@contextmanager
def demo_for_the_module(django_db_blocker):
    """Seed the demo inside a transaction rolled back when the block ends; yields what ``seed_demo`` printed.

    Each test of the module runs in a savepoint inside it (as Django's setUpTestData does), so they share
    one seeding, and a test that changes the demo changes it for itself only.
    """
    from django.db import transaction

    from kepu.core.testing.reference import restore_reference_data

    with django_db_blocker.unblock():
        atomic = transaction.atomic()
        atomic.__enter__()
        try:
            restore_reference_data()  # a module fixture comes before the per-test one that does it
            out = io.StringIO()
            call_command("seed_demo", stdout=out)  # analyzes on PostgreSQL (kepu.core.seeding)
            yield out.getvalue()
        finally:
            transaction.set_rollback(True)
            atomic.__exit__(None, None, None)
