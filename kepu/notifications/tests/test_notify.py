"""notify(): inbox rows now, SMS and WeChat after commit, a failing channel loses nothing else."""

import pytest

from kepu.core.messaging import LocmemSmsBackend
from kepu.notifications.channels import LocmemWeChatBackend
from kepu.notifications.models import Notification
from kepu.notifications.services import notify

pytestmark = pytest.mark.django_db


def test_inbox_now_other_channels_after_commit_and_no_duplicates(world, django_capture_on_commit_callbacks):
    people = [world.a.resident.user, world.a.admin.user, world.a.resident.user, None]
    with django_capture_on_commit_callbacks(execute=False) as callbacks:
        created = notify(
            people, title="测试", body="正文", url="/orders/", kind="kepu.test", channels=("inbox", "sms", "wechat")
        )
    assert len(created) == 2 and Notification.objects.count() == 2
    assert LocmemSmsBackend.outbox == [] and LocmemWeChatBackend.outbox == []  # nothing before commit
    for callback in callbacks:
        callback()
    assert sorted(m.to for m in LocmemSmsBackend.outbox) == sorted(
        [world.a.resident.user.phone, world.a.admin.user.phone]
    )
    assert {m.user_id for m in LocmemWeChatBackend.outbox} == {world.a.resident.user.pk, world.a.admin.user.pk}


def test_a_failing_channel_does_not_stop_the_others(world, django_capture_on_commit_callbacks, monkeypatch):
    def broken(*args, **kwargs):
        raise RuntimeError("gateway down")

    monkeypatch.setattr("kepu.notifications.services.send_sms", broken)
    with django_capture_on_commit_callbacks(execute=True):
        notify([world.a.resident.user, world.a.admin.user], title="x", channels=("inbox", "sms"))
    assert Notification.objects.count() == 2


def test_inbox_only_by_default(world, django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=True):
        notify([world.a.resident.user], title="x")
    assert LocmemSmsBackend.outbox == [] and Notification.objects.count() == 1
