"""notify() over the inbox, SMS and WeChat; reading one's own messages; binding one's own WeChat account."""

import pytest
from django.conf import settings
from django.db import transaction

from kepu.core.actor import ANONYMOUS, SYSTEM
from kepu.core.errors import DomainError, NotAllowed
from kepu.core.messaging import LocmemSmsBackend
from kepu.core.models import AuditEntry
from kepu.notifications import services
from kepu.notifications.channels import LocmemWeChatBackend
from kepu.notifications.models import Notification, WeChatBinding
from kepu.notifications.services import notify

pytestmark = pytest.mark.django_db

OPENID = "oAbCdEfGh1234567890_xyz"


def test_each_recipient_gets_the_message_on_each_channel(world, django_capture_on_commit_callbacks):
    a = world.a
    with django_capture_on_commit_callbacks(execute=True):
        created = notify(
            [a.resident.user, a.unit_staff.user],
            title="您的订单已派单",
            body="区卫健委将联系您。",
            url="/orders/7/",
            kind="kepu.orders.dispatched",
            channels=("inbox", "sms", "wechat"),
        )
    rows = Notification.objects.order_by("recipient_id")
    assert {n.pk for n in created} == {n.pk for n in rows}
    assert [(n.recipient_id, n.title, n.body, n.url, n.kind, n.read_at) for n in rows] == [
        (u.pk, "您的订单已派单", "区卫健委将联系您。", "/orders/7/", "kepu.orders.dispatched", None)
        for u in sorted([a.resident.user, a.unit_staff.user], key=lambda u: u.pk)
    ]
    sms = sorted((m.to, m.text, m.meta) for m in LocmemSmsBackend.outbox)
    # The text ends with a short link to the message in the inbox (where the whole of it can be read).
    assert sms == sorted(
        (
            n.recipient.phone,
            f"您的订单已派单 区卫健委将联系您。 {settings.KEPU_SITE_URL}/inbox/{n.pk}/",
            {"purpose": "kepu.orders.dispatched"},
        )
        for n in rows
    )
    wechat = {m.user_id: m for m in LocmemWeChatBackend.outbox}
    assert set(wechat) == {a.resident.user.pk, a.unit_staff.user.pk}
    message = wechat[a.resident.user.pk]
    assert (message.template, message.data, message.url) == (
        "kepu.orders.dispatched",
        {"title": "您的订单已派单", "body": "区卫健委将联系您。"},
        "/orders/7/",
    )


def test_channels_are_chosen_per_message_and_people_without_a_phone_get_no_sms(
    world, django_capture_on_commit_callbacks
):
    a = world.a
    a.unit_staff.user.phone = ""
    a.unit_staff.user.save(update_fields=["phone"])
    with django_capture_on_commit_callbacks(execute=True):
        created = notify([a.resident.user, a.unit_staff.user], title="提醒", channels=("sms",))
    assert created == [] and not Notification.objects.exists()  # no inbox row when the inbox was not asked for
    assert [m.to for m in LocmemSmsBackend.outbox] == [a.resident.user.phone]
    with django_capture_on_commit_callbacks(execute=True):
        notify([a.resident.user], title="只发微信", channels=("wechat",))
    assert [(m.user_id, m.template) for m in LocmemWeChatBackend.outbox] == [(a.resident.user.pk, "generic")]


def test_a_long_title_is_cut_to_the_column_and_nobody_gets_it_twice(world):
    a = world.a
    created = notify([a.resident.user, None, a.resident.user], title="长" * 250)
    assert len(created) == 1 and Notification.objects.get().title == "长" * 200


def test_a_change_rolled_back_sends_nothing(world, django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=True) as callbacks:
        with pytest.raises(RuntimeError), transaction.atomic():
            notify([world.a.resident.user], title="不该发出", channels=("inbox", "sms", "wechat"))
            raise RuntimeError("the change that caused it failed")
    assert callbacks == [] and not Notification.objects.exists()
    assert LocmemSmsBackend.outbox == [] and LocmemWeChatBackend.outbox == []


def test_one_marks_ones_own_message_read_once(world):
    a = world.a
    (mine,) = notify([a.resident.user], title="我的")
    first = services.notification_mark_read(actor=a.resident, notification=mine).read_at
    assert first is not None
    again = services.notification_mark_read(actor=a.resident, notification=mine)
    assert again.read_at == first  # the first reading stands
    (theirs,) = notify([a.neighbour.user], title="邻居的")
    for actor in (a.resident, a.admin, world.city_admin, ANONYMOUS):
        with pytest.raises(NotAllowed):
            services.notification_mark_read(actor=actor, notification=theirs)
    assert Notification.objects.get(pk=theirs.pk).read_at is None


def test_mark_all_read_touches_only_ones_own(world):
    a = world.a
    notify([a.resident.user, a.neighbour.user], title="一")
    notify([a.resident.user], title="二")
    assert services.notification_mark_all_read(actor=a.resident) == 2
    assert not Notification.objects.filter(recipient=a.resident.user, read_at__isnull=True).exists()
    assert Notification.objects.get(recipient=a.neighbour.user).read_at is None
    assert services.notification_mark_all_read(actor=a.resident) == 0


def test_binding_wechat_is_for_ones_own_account_and_audited(world):
    a = world.a
    binding = services.wechat_bind(actor=a.resident, openid=f"  {OPENID} ")
    assert (binding.user_id, binding.openid) == (a.resident.user.pk, OPENID)
    entry = AuditEntry.objects.get(action="kepu.notifications.wechat_bound")
    assert entry.actor == a.resident.user and entry.object_id == str(binding.pk)
    assert OPENID not in str(entry.data) + entry.object_repr  # the openid stays out of the trail
    rebound = services.wechat_bind(actor=a.resident, openid="oNEW1234567890")  # a new openid replaces the old
    assert rebound.pk == binding.pk and WeChatBinding.objects.get().openid == "oNEW1234567890"
    for bad in ("", "short", "has space 12345", "x" * 65, "中文openid1234567"):
        with pytest.raises(DomainError) as err:
            services.wechat_bind(actor=a.resident, openid=bad)
        assert err.value.code == "openid_invalid"
    assert WeChatBinding.objects.get().openid == "oNEW1234567890"


def test_nobody_binds_or_unbinds_without_an_account(world):
    for actor in (ANONYMOUS, SYSTEM):
        with pytest.raises(NotAllowed):
            services.wechat_bind(actor=actor, openid=OPENID)
        with pytest.raises(NotAllowed):
            services.wechat_unbind(actor=actor)
    assert not WeChatBinding.objects.exists() and not AuditEntry.objects.exists()


def test_an_openid_bound_by_someone_else_moves_and_the_trail_says_from_whom(world):
    a = world.a
    services.wechat_bind(actor=a.resident, openid=OPENID)
    services.wechat_bind(actor=a.neighbour, openid=OPENID)
    assert list(WeChatBinding.objects.values_list("user_id", flat=True)) == [a.neighbour.user.pk]
    moved = AuditEntry.objects.get(action="kepu.notifications.wechat_moved")
    assert moved.actor == a.neighbour.user and moved.data == {"from_user": a.resident.user.pk}


def test_unbinding_removes_only_ones_own_binding(world):
    a = world.a
    services.wechat_bind(actor=a.resident, openid=OPENID)
    assert services.wechat_unbind(actor=a.neighbour) is False  # nothing of theirs to remove
    assert WeChatBinding.objects.filter(user=a.resident.user).exists()
    assert services.wechat_unbind(actor=a.resident) is True and not WeChatBinding.objects.exists()
    assert AuditEntry.objects.filter(action="kepu.notifications.wechat_unbound", actor=a.resident.user).count() == 1
