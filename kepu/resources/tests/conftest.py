import pytest

from kepu.resources.tests.factories import add_reviewers


@pytest.fixture
def rworld(world):
    return add_reviewers(world)


@pytest.fixture(autouse=True)
def _clean_wechat():
    from kepu.notifications.channels import LocmemWeChatBackend

    LocmemWeChatBackend.outbox.clear()
    yield
    LocmemWeChatBackend.outbox.clear()
