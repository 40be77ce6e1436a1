import time

from django.core.management.base import BaseCommand
from django.db import transaction

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
        if ctx.logins and not quiet_logins:
            self.stdout.write("\nDemo logins (staff: user name + password; residents: phone + SMS code, shown on the page):")
            width = max(len(label) for label, _, _ in ctx.logins)
            for label, login, secret in ctx.logins:
                self.stdout.write(f"  {label.ljust(width)}  {login:<14} {secret}")
