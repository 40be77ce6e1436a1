"""The development WeChat backends: a JSON line per message in the outbox file, or the console."""

import json

import pytest

from kepu.notifications.channels import ConsoleWeChatBackend, FileWeChatBackend, wechat_backend


@pytest.mark.django_db
def test_the_file_backend_appends_one_line_per_message(world, settings, tmp_path):
    settings.KEPU_SMS_OUTBOX = tmp_path / "outbox"
    settings.KEPU_WECHAT_BACKEND = "kepu.notifications.channels.FileWeChatBackend"
    backend = wechat_backend()
    assert isinstance(backend, FileWeChatBackend)
    backend.send_template(user=world.a.resident.user, template="generic", data={"title": "提醒"}, url="/x/")
    backend.send_template(user=world.a.admin.user, template="kepu.orders.dispatched", data={})
    lines = [json.loads(line) for line in (tmp_path / "outbox" / "wechat.jsonl").read_text("utf-8").splitlines()]
    assert [(m["user"], m["template"], m["data"], m["url"]) for m in lines] == [
        (world.a.resident.user.pk, "generic", {"title": "提醒"}, "/x/"),
        (world.a.admin.user.pk, "kepu.orders.dispatched", {}, ""),
    ]


@pytest.mark.django_db
def test_the_console_backend_prints(world, capsys):
    ConsoleWeChatBackend().send_template(user=world.a.resident.user, template="generic", data={"title": "提醒"})
    assert f"[WeChat to user {world.a.resident.user.pk}] generic" in capsys.readouterr().out
