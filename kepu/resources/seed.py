"""Demo data: pieces of the library (written for the demo), some in review, one withdrawn."""

from kepu.core.seeding import SeedContext, seeder


@seeder(order=70)
def seed_resources(ctx: SeedContext) -> None:
    from kepu.resources.demo import seed_library

    seed_library(ctx)
