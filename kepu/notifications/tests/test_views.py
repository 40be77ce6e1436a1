"""The inbox page: one's own messages, opening one marks it read and goes where it points."""

import pytest
from django.urls import reverse

from kepu.core.testing.web import login
from kepu.notifications.models import Notification
from kepu.notifications.services import notify

pytestmark = pytest.mark.django_db


def test_the_inbox_shows_ones_own_messages_and_how_many_are_unread(client, world):
    a = world.a
    notify([a.resident.user], title="您的报名已确认", body="周六上午九点，社区活动室。")
    notify([a.resident.user], title="请为服务打分")
    notify([a.neighbour.user], title="邻居的消息")
    login(client, a.resident)
    html = client.get(reverse("notifications:inbox")).content.decode()
    assert "您的报名已确认" in html and "周六上午九点，社区活动室。" in html and "请为服务打分" in html
    assert "邻居的消息" not in html
    assert "2 条未读消息" in html and "全部标为已读" in html
    assert html.index("请为服务打分") < html.index("您的报名已确认")  # newest first


def test_only_unread_and_an_empty_inbox(client, world):
    a = world.a
    read, unread = notify([a.resident.user], title="已读的")[0], notify([a.resident.user], title="未读的")[0]
    Notification.objects.filter(pk=read.pk).update(read_at=unread.created_at)
    login(client, a.resident)
    html = client.get(reverse("notifications:inbox"), {"unread": "1"}).content.decode()
    assert "未读的" in html and "已读的" not in html and "显示全部" in html
    login(client, a.neighbour)
    empty = client.get(reverse("notifications:inbox")).content.decode()
    assert "暂无消息。" in empty and "0 条未读消息" in empty and "全部标为已读" not in empty


def test_opening_a_message_marks_it_read_and_follows_its_link(client, world):
    a = world.a
    (message,) = notify([a.resident.user], title="去看订单", url="/orders/7/")
    login(client, a.resident)
    response = client.post(reverse("notifications:open", args=[message.pk]))
    assert response.status_code == 302 and response["Location"] == "/orders/7/"
    assert Notification.objects.get(pk=message.pk).read_at is not None
    html = client.get(reverse("notifications:inbox")).content.decode()
    assert "0 条未读消息" in html


def test_a_link_off_the_site_or_none_goes_back_to_the_inbox(client, world):
    a = world.a
    login(client, a.resident)
    for url in ("https://evil.example.com/", "//evil.example.com/x", "javascript:alert(1)", ""):
        (message,) = notify([a.resident.user], title="链接", url=url)
        response = client.post(reverse("notifications:open", args=[message.pk]))
        assert response.status_code == 302 and response["Location"] == reverse("notifications:inbox"), url


def test_someone_elses_message_cannot_be_opened(client, world):
    a = world.a
    (theirs,) = notify([a.neighbour.user], title="邻居的", url="/orders/8/")
    for who in (a.resident, a.admin, world.city_admin):
        login(client, who)
        assert client.post(reverse("notifications:open", args=[theirs.pk])).status_code == 404
    assert Notification.objects.get(pk=theirs.pk).read_at is None


def test_mark_all_read_is_a_post_and_touches_only_ones_own(client, world):
    a = world.a
    notify([a.resident.user, a.neighbour.user], title="大家的")
    login(client, a.resident)
    assert client.get(reverse("notifications:read_all")).status_code == 405
    response = client.post(reverse("notifications:read_all"))
    assert response.status_code == 302 and response["Location"] == reverse("notifications:inbox")
    assert Notification.objects.get(recipient=a.resident.user).read_at is not None
    assert Notification.objects.get(recipient=a.neighbour.user).read_at is None


def test_opening_is_a_post(client, world):
    (message,) = notify([world.a.resident.user], title="x")
    login(client, world.a.resident)
    assert client.get(reverse("notifications:open", args=[message.pk])).status_code == 405
    assert Notification.objects.get(pk=message.pk).read_at is None


def test_anonymous_visitors_are_sent_to_sign_in(client, world):
    (message,) = notify([world.a.resident.user], title="x")
    for response in (
        client.get(reverse("notifications:inbox")),
        client.post(reverse("notifications:open", args=[message.pk])),
        client.post(reverse("notifications:read_all")),
    ):
        # Residents read their inbox: they are sent to the phone sign-in, which comes back here.
        assert response.status_code == 302 and response["Location"].startswith(reverse("accounts:phone_login"))
    assert Notification.objects.get(pk=message.pk).read_at is None
