"""Refill the kept counts of people holding a counted role under each place from the memberships (after a bulk
load that sent no signals, or as a repair); ``--check`` compares them with a recount and changes nothing."""

from django.core.management.base import BaseCommand, CommandError

from kepu.accounts import holders
from kepu.accounts.models import RoleHolderMonth, RoleHolderPlace


def _state() -> tuple[set, set]:
    return (
        set(RoleHolderPlace.objects.values_list("role", "user_id", "place_path", "since")),
        set(RoleHolderMonth.objects.filter(people__gt=0).values_list("role", "place_path", "month", "people")),
    )


class Command(BaseCommand):
    help = "Refill the kept per-place counts of volunteers from the memberships (--check: compare only)."

    def add_arguments(self, parser):
        parser.add_argument("--check", action="store_true", help="report a difference and change nothing")

    def handle(self, *args, check=False, **options):
        if check:
            from django.db import transaction

            kept = _state()
            with transaction.atomic():
                holders.rebuild()
                fresh = _state()
                transaction.set_rollback(True)
            if kept != fresh:
                raise CommandError(
                    f"the kept counts differ from the memberships: {len(kept[0] ^ fresh[0])} person-place rows, "
                    f"{len(kept[1] ^ fresh[1])} month rows; run without --check to refill them"
                )
            self.stdout.write(f"kept counts equal the memberships ({len(kept[0])} person-place rows)")
            return
        self.stdout.write(f"{holders.rebuild()} person-place rows")
