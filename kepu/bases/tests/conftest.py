import pytest


@pytest.fixture
def bworld(world):
    """The world, with this year's rubrics and four experts with accounts in each district."""
    from kepu.bases.tests.factories import experts, reference_data

    reference_data()
    world.a.experts = experts(world.a, 4, prefix="甲专家")
    world.b.experts = experts(world.b, 4, prefix="乙专家")
    return world


@pytest.fixture(autouse=True)
def _fresh_cache():
    """The public list keeps its counts and the venues open this weekend a few minutes: not from test to test."""
    from django.core.cache import cache

    cache.clear()
    yield
    cache.clear()
