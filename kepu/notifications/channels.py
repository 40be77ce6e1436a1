"""Channels beyond the inbox: SMS (``kepu.core.messaging``) and WeChat template messages.

The WeChat backend is chosen by ``KEPU_WECHAT_BACKEND``. Development writes template
messages to ``var/outbox/wechat.jsonl``; tests keep them in memory. Production uses
``HttpGatewayWeChatBackend``: it posts to the configured gateway (the deployment's relay to the
official account's template-message API, which holds the account's secret), for people who
have an openid (``WeChatBinding``); people without one are reached by the inbox and SMS.
"""

from __future__ import annotations

import json
import urllib.request
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
        line = json.dumps(
            {"user": user.pk, "template": template, "data": data, "url": url, "at": datetime.now().isoformat()},
            ensure_ascii=False,
        )
        with open(outbox / "wechat.jsonl", "a", encoding="utf-8") as fh:
            fh.write(line + "\n")


class HttpGatewayWeChatBackend(WeChatBackend):
    """Posts the official account's template-message body as JSON to ``KEPU_WECHAT_GATEWAY_URL``.

    ``template`` is the platform's kind of message (``kepu.orders.scheduled``); ``KEPU_WECHAT_TEMPLATES``
    maps kinds to the account's template ids (``generic`` for the rest). Links are made absolute with
    ``KEPU_SITE_URL``. Raises when the gateway refuses, so ``notify`` logs it.
    """

    timeout = 10

    def send_template(self, *, user, template, data, url=""):
        from kepu.notifications.models import WeChatBinding

        openid = WeChatBinding.objects.filter(user_id=user.pk).values_list("openid", flat=True).first()
        if not openid:
            return
        if not settings.KEPU_WECHAT_GATEWAY_URL:
            raise RuntimeError("KEPU_WECHAT_GATEWAY_URL is not set")
        templates = settings.KEPU_WECHAT_TEMPLATES
        template_id = templates.get(template) or templates.get("generic") or template
        link = url if not url.startswith("/") else settings.KEPU_SITE_URL.rstrip("/") + url
        body = json.dumps(
            {
                "touser": openid,
                "template_id": template_id,
                "url": link,
                "data": {key: {"value": str(value)} for key, value in data.items()},
            },
            ensure_ascii=False,
        ).encode()
        req = urllib.request.Request(
            settings.KEPU_WECHAT_GATEWAY_URL,
            data=body,
            method="POST",
            headers={
                "Content-Type": "application/json; charset=utf-8",
                "Authorization": f"Bearer {settings.KEPU_WECHAT_GATEWAY_TOKEN}",
            },
        )
        with urllib.request.urlopen(req, timeout=self.timeout) as resp:  # noqa: S310 - configured gateway URL
            answer = resp.read()
            if resp.status >= 300:
                raise RuntimeError(f"WeChat gateway answered {resp.status}")
        try:
            errcode = json.loads(answer or b"{}").get("errcode", 0)
        except ValueError:
            errcode = 0
        if errcode:
            raise RuntimeError(f"WeChat refused the template message: errcode {errcode}")


def wechat_backend() -> WeChatBackend:
    return import_string(getattr(settings, "KEPU_WECHAT_BACKEND", "kepu.notifications.channels.FileWeChatBackend"))()
