import pytest


@pytest.fixture(autouse=True)
def _hazards(db):
    """The hazards the migration loads: a transactional test's flush empties them."""
    from importlib import import_module

    from django.apps import apps

    from kepu.emergency.models import Hazard

    if not Hazard.objects.exists():
        import_module("kepu.emergency.migrations.0002_hazards").load(apps, None)


@pytest.fixture
def eworld(world):
    from kepu.emergency.tests.factories import emergency_world

    return emergency_world(world)
