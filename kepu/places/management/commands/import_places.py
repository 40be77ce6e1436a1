from pathlib import Path

from django.core.management.base import BaseCommand, CommandError
from django.utils.translation import gettext as _

from kepu.places.services import ImportRejected, import_csv


class Command(BaseCommand):
    help = "Import places from a CSV file with columns code,parent_code,name,level[,official]; all or nothing."

    def add_arguments(self, parser):
        parser.add_argument("csv_path", nargs="?", help="CSV file (default: the shipped Beijing tree)")

    def handle(self, *args, csv_path=None, **options):
        path = Path(csv_path) if csv_path else Path(__file__).resolve().parents[2] / "data" / "beijing.csv"
        try:
            text = path.read_text(encoding="utf-8")
        except OSError as exc:
            raise CommandError(_("Cannot read %(path)s: %(reason)s") % {"path": path, "reason": exc.strerror}) from None
        except UnicodeDecodeError:
            raise CommandError(_("%(path)s is not UTF-8 text; save the sheet as CSV UTF-8.") % {"path": path}) from None
        try:
            created = import_csv(text, system=True)
        except ImportRejected as exc:
            for err in exc.errors[:50]:
                self.stderr.write(f"line {err.line}: {err.message}")
            raise CommandError(str(exc.message)) from None
        self.stdout.write(self.style.SUCCESS(f"{created} new places from {path.name}"))
