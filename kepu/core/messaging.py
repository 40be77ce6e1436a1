"""Outgoing messages: pluggable SMS backends chosen by ``KEPU_SMS_BACKEND``.

Development writes messages to a file (and the console); tests use the in-memory outbox;
production posts to the government SMS gateway configured by ``KEPU_SMS_GATEWAY_URL``.
Other channels (WeChat templates) follow the same shape: ``send(to, text, **meta)``.
"""

from __future__ import annotations

import json
import logging
import urllib.request
from abc import ABC, abstractmethod
from dataclasses import dataclass, field
from datetime import datetime

from django.conf import settings
from django.utils.module_loading import import_string

logger = logging.getLogger(__name__)


@dataclass
class Message:
    to: str
    text: str
    meta: dict = field(default_factory=dict)
    sent_at: datetime = field(default_factory=datetime.now)


class SmsBackend(ABC):
    @abstractmethod
    def send(self, to: str, text: str, **meta) -> None:
        """Deliver ``text`` to the phone number ``to`` or raise."""


class LocmemSmsBackend(SmsBackend):
    """Keeps messages in ``outbox`` (tests)."""

    outbox: list[Message] = []

    def send(self, to, text, **meta):
        LocmemSmsBackend.outbox.append(Message(to, text, meta))


class ConsoleSmsBackend(SmsBackend):
    def send(self, to, text, **meta):
        print(f"[SMS to {to}] {text}", flush=True)  # noqa: T201 - this backend's purpose


class FileSmsBackend(SmsBackend):
    """Appends one JSON line per message to ``var/outbox/sms.jsonl`` (development)."""

    def send(self, to, text, **meta):
        outbox = settings.KEPU_SMS_OUTBOX
        outbox.mkdir(parents=True, exist_ok=True)
        line = json.dumps({"to": to, "text": text, "meta": meta, "at": datetime.now().isoformat()}, ensure_ascii=False)
        with open(outbox / "sms.jsonl", "a", encoding="utf-8") as fh:
            fh.write(line + "\n")


class HttpGatewaySmsBackend(SmsBackend):
    """Posts ``{"to", "text"}`` as JSON to the intranet SMS gateway with a bearer token."""

    timeout = 10

    def send(self, to, text, **meta):
        if not settings.KEPU_SMS_GATEWAY_URL:
            raise RuntimeError("KEPU_SMS_GATEWAY_URL is not set")
        body = json.dumps({"to": to, "text": text, "meta": meta}, ensure_ascii=False).encode()
        req = urllib.request.Request(
            settings.KEPU_SMS_GATEWAY_URL,
            data=body,
            headers={
                "Content-Type": "application/json; charset=utf-8",
                "Authorization": f"Bearer {settings.KEPU_SMS_GATEWAY_TOKEN}",
            },
            method="POST",
        )
        with urllib.request.urlopen(req, timeout=self.timeout) as resp:  # noqa: S310 - configured intranet URL
            if resp.status >= 300:
                raise RuntimeError(f"SMS gateway answered {resp.status}")


def sms_backend() -> SmsBackend:
    return import_string(settings.KEPU_SMS_BACKEND)()


def send_sms(to: str, text: str, **meta) -> None:
    sms_backend().send(to, text, **meta)
