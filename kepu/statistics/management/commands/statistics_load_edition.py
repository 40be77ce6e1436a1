"""Load an edition file of the statistics' indicator dictionary (all or nothing)."""

from pathlib import Path

from django.core.management.base import BaseCommand, CommandError

from kepu.core.errors import DomainError


class Command(BaseCommand):
    help = "Load an edition file (TOML) of the statistics' indicator dictionary."

    def add_arguments(self, parser):
        parser.add_argument("path", help="the edition file, e.g. kepu/statistics/data/edition-2024.toml")

    def handle(self, *args, path, **options):
        from kepu.statistics.services import edition_load

        file = Path(path)
        if not file.is_file():
            raise CommandError(f"no such file: {path}")
        try:
            edition = edition_load(actor=None, content=file.read_bytes(), source=file.name)
        except DomainError as exc:
            problems = exc.data.get("problems") or [str(exc.message)]
            raise CommandError("\n".join(str(p) for p in problems)) from None
        self.stdout.write(f"loaded {edition.name}: {edition.indicators} indicators, {edition.rules} rules")
