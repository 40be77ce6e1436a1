import json
import re
import time
from pathlib import Path

from django.conf import settings
from django.core.management.base import BaseCommand
from django.db import connection, transaction

from kepu.core.seeding import SeedContext, run_all


class Command(BaseCommand):
    help = "Load deterministic demo data (--scale demo) or city-scale volumes for benchmarks (--scale city)."

    def add_arguments(self, parser):
        parser.add_argument("--scale", choices=["demo", "city"], default="demo")
        parser.add_argument("--seed", type=int, default=2026)
        parser.add_argument("--quiet-logins", action="store_true", help="do not print the demo logins")
        parser.add_argument("--only", default="", help="comma-separated apps whose seeders run (default: all)")

    def handle(self, *args, scale, seed, quiet_logins=False, only="", **options):
        apps = {a.strip() for a in only.split(",") if a.strip()} or None
        started = time.monotonic()
        ctx = SeedContext(scale=scale, seed=seed, out=self.stdout.write)
        self.stdout.write(f"Seeding ({scale}, seed {seed}):")
        if scale == "demo":
            with transaction.atomic():
                run_all(ctx, apps)
        else:
            run_all(ctx, apps)  # city scale commits per batch so memory stays flat
        self.stdout.write(self.style.SUCCESS(f"Done in {time.monotonic() - started:.1f} s."))
        logins = _remembered_logins(ctx.logins)
        if logins and not quiet_logins:
            self.stdout.write(
                "\nDemo logins (staff: user name + password; residents: phone + SMS code, shown on the page):"
            )
            width = max(len(label) for label, _, _ in logins)
            for label, login, secret in logins:
                self.stdout.write(f"  {label.ljust(width)}  {login:<14} {secret}")


def _logins_file() -> Path:
    name = re.sub(r"[^A-Za-z0-9_.-]+", "-", str(connection.settings_dict.get("NAME") or "default")).strip("-")
    return Path(settings.VAR_DIR) / f"demo-logins.{name[-60:]}.json"


def _remembered_logins(new: list) -> list:
    """The demo's logins: those just created (remembered for this database), else those remembered,
    so that every ``seed_demo`` (and ``dev.py up``) prints them, not only the first."""
    path = _logins_file()
    if new:
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(json.dumps(new, ensure_ascii=False), encoding="utf-8")
        return new
    try:
        return [tuple(row) for row in json.loads(path.read_text(encoding="utf-8"))]
    except (OSError, ValueError):
        return []
