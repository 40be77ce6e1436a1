"""Demo and scale data: each app contributes a seeder, ``seed_demo`` runs them in order.

An app registers ``@seeder(order=…)`` functions in its ``seed.py``; each receives a
``SeedContext`` with the scale, a seeded Faker and a seeded ``random.Random``, so that the
same command always produces the same data.
"""

from __future__ import annotations

import random
from collections.abc import Callable
from dataclasses import dataclass, field

from faker import Faker


@dataclass
class SeedContext:
    scale: str
    seed: int = 2026
    out: Callable[[str], None] = print
    faker: Faker = field(init=False)
    rng: random.Random = field(init=False)
    logins: list[tuple[str, str, str]] = field(default_factory=list)  # (role label, login, secret)
    shared: dict = field(default_factory=dict)

    def __post_init__(self):
        self.faker = Faker("zh_CN")
        self.faker.seed_instance(self.seed)
        self.rng = random.Random(self.seed)

    @property
    def is_city(self) -> bool:
        return self.scale == "city"


_seeders: list[tuple[int, str, Callable[[SeedContext], None]]] = []


def seeder(order: int):
    def decorator(fn):
        _seeders.append((order, f"{fn.__module__}.{fn.__name__}", fn))
        return fn

    return decorator


def run_all(ctx: SeedContext, only: set[str] | None = None) -> None:
    """Run every seeder in order; ``only`` keeps the seeders of these apps (``{"places", "orgs"}``)."""
    for _order, name, fn in sorted(_seeders, key=lambda item: (item[0], item[1])):
        if only and name.split(".")[1] not in only:
            continue
        ctx.out(f"  · {name}")
        fn(ctx)
        _analyze()


def _analyze() -> None:
    """PostgreSQL: refresh the planner's statistics after each app's rows.

    Autovacuum analyzes only committed rows, some time later; a seed inside one transaction (the tests'
    demo) or just after a fresh migrate otherwise runs its later steps, and the first pages, on guessed
    statistics, where one join of memberships, people and places ran for over ten minutes.

    Only this database's own tables: a bare ANALYZE also takes the server-wide catalogs (pg_authid …), whose
    lock a seed inside a transaction keeps to its end, so a second database's seed on the same server (the
    other xdist worker's, another checkout's) waited for the whole of the first one's test.
    """
    from django.db import connection

    if connection.vendor == "postgresql":
        tables = connection.introspection.table_names(include_views=False)
        if tables:
            with connection.cursor() as cursor:
                cursor.execute("ANALYZE " + ", ".join(connection.ops.quote_name(t) for t in tables))
