import pytest

from kepu.orders.tests.factories import add_order_parties


@pytest.fixture
def oworld(world):
    return add_order_parties(world)


@pytest.fixture(autouse=True)
def _clean_wechat():
    from kepu.notifications.channels import LocmemWeChatBackend

    LocmemWeChatBackend.outbox.clear()
    yield
    LocmemWeChatBackend.outbox.clear()


@pytest.fixture(autouse=True)
def _clear_cache():
    from django.core.cache import cache

    cache.clear()
    yield
