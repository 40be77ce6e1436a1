"""Channels beyond the inbox: SMS (``kepu.core.messaging``) and WeChat template messages.

The WeChat backend is chosen by ``KEPU_WECHAT_BACKEND``. Development writes template
messages to ``var/outbox/wechat.jsonl``; tests keep them in memory. A production backend
posts to the official account's template-message endpoint and needs the person's openid,
which the platform does not hold yet: deployments plug their own class in here.
"""

from __future__ import annotations

import json
from abc import ABC, abstractmethod
from dataclasses import dataclass, field
from datetime import datetime

from django.conf import settings
from django.utils.module_loading import import_string


@dataclass
class TemplateMessage:
    user_id: int
    template: str
    data: dict
    url: str = ""
    sent_at: datetime = field(default_factory=datetime.now)


class WeChatBackend(ABC):
    @abstractmethod
    def send_template(self, *, user, template: str, data: dict, url: str = "") -> None:
        """Send a template message to ``user`` or raise."""


class LocmemWeChatBackend(WeChatBackend):
    outbox: list[TemplateMessage] = []

    def send_template(self, *, user, template, data, url=""):
        LocmemWeChatBackend.outbox.append(TemplateMessage(user.pk, template, data, url))


class ConsoleWeChatBackend(WeChatBackend):
    def send_template(self, *, user, template, data, url=""):
        print(f"[WeChat to user {user.pk}] {template} {data} {url}", flush=True)  # noqa: T201 - its purpose


class FileWeChatBackend(WeChatBackend):
    def send_template(self, *, user, template, data, url=""):
        outbox = settings.KEPU_SMS_OUTBOX
        outbox.mkdir(parents=True, exist_ok=True)
        line = json.dumps({"user": user.pk, "template": template, "data": data, "url": url,
                           "at": datetime.now().isoformat()}, ensure_ascii=False)
        with open(outbox / "wechat.jsonl", "a", encoding="utf-8") as fh:
            fh.write(line + "\n")


def wechat_backend() -> WeChatBackend:
    return import_string(getattr(settings, "KEPU_WECHAT_BACKEND", "kepu.notifications.channels.FileWeChatBackend"))()
