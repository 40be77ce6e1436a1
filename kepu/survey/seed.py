from kepu.core.seeding import seeder  # noqa: F401
