import pytest


@pytest.fixture
def lworld(world):
    """The world with the parties orders need (a default unit for health, teams, a volunteer)."""
    from kepu.orders.tests.factories import add_order_parties

    return add_order_parties(world)


@pytest.fixture(autouse=True)
def _fresh_cache():
    from django.core.cache import cache

    cache.clear()
    yield
    cache.clear()
