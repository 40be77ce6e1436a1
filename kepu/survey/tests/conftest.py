import pytest

from kepu.survey.tests.factories import filled_round, run_job


@pytest.fixture
def filled(world):
    """An open round with approved interviews in both districts and one finished estimation."""
    f = filled_round(world, n_per_community=4)
    f.run = run_job(world.city_admin, f.round)
    return f
