"""``notify``: the one way any app tells people that something needs them."""

from __future__ import annotations

import logging
from collections.abc import Iterable

from django.db import transaction
from django.utils import timezone

from kepu.core.actor import Actor
from kepu.core.messaging import send_sms
from kepu.core.permissions import require
from kepu.notifications.channels import wechat_backend
from kepu.core.audit import log_action
from kepu.core.errors import DomainError
from kepu.notifications.models import Notification, WeChatBinding

logger = logging.getLogger(__name__)

INBOX, SMS, WECHAT = "inbox", "sms", "wechat"


def notify(recipients: Iterable, *, title: str, body: str = "", url: str = "", kind: str = "",
           channels: Iterable[str] = (INBOX,)) -> list[Notification]:
    """Put a message in each recipient's inbox and, after commit, send it on the other channels.

    ``recipients`` are users (duplicates and ``None`` are dropped). SMS and WeChat go out
    only once the surrounding transaction commits, so a rolled-back change sends nothing;
    a failing channel is logged and never undoes the change that caused the message.
    """
    seen, people = set(), []
    for user in recipients:
        if user is not None and user.pk not in seen:
            seen.add(user.pk)
            people.append(user)
    channels = set(channels)
    created = []
    if INBOX in channels:
        created = Notification.objects.bulk_create(
            [Notification(recipient=u, kind=kind, title=title[:200], body=body, url=url) for u in people]
        )
    if SMS in channels or WECHAT in channels:
        text = f"{title} {body}".strip()

        def send():
            for user in people:
                try:
                    if SMS in channels and user.phone:
                        send_sms(user.phone, text, purpose=kind)
                    if WECHAT in channels:
                        wechat_backend().send_template(user=user, template=kind or "generic",
                                                       data={"title": title, "body": body}, url=url)
                except Exception:  # a channel outage must not lose the other recipients' messages
                    logger.exception("notification channel failed for user %s", user.pk)

        transaction.on_commit(send)
    return created


@transaction.atomic
def notification_mark_read(*, actor: Actor, notification: Notification) -> Notification:
    notification = Notification.objects.select_for_update().get(pk=notification.pk)
    require(actor, "mark_read", notification)
    if notification.read_at is None:
        notification.read_at = timezone.now()
        notification.save(update_fields=["read_at"])
    return notification


@transaction.atomic
def notification_mark_all_read(*, actor: Actor) -> int:
    return Notification.objects.filter(recipient_id=actor.user.pk, read_at__isnull=True).update(read_at=timezone.now())


OPENID_CHARS = frozenset("ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789_-")


@transaction.atomic
def wechat_bind(*, actor: Actor, openid: str) -> WeChatBinding:
    """Bind the actor's own account to their openid on the official account (replacing an earlier one)."""
    openid = (openid or "").strip()
    if not 10 <= len(openid) <= 64 or not set(openid) <= OPENID_CHARS:
        from django.utils.translation import gettext as _

        raise DomainError(_("That is not a WeChat openid."), code="openid_invalid")
    require(actor, "bind", WeChatBinding(user_id=actor.user.pk))
    WeChatBinding.objects.filter(openid=openid).exclude(user_id=actor.user.pk).delete()  # moved to this person
    binding, _created = WeChatBinding.objects.update_or_create(user_id=actor.user.pk, defaults={"openid": openid})
    log_action(actor, "kepu.notification.wechat_bound", binding)
    return binding


@transaction.atomic
def wechat_unbind(*, actor: Actor) -> bool:
    binding = WeChatBinding.objects.select_for_update().filter(user_id=actor.user.pk).first()
    if binding is None:
        return False
    require(actor, "unbind", binding)
    log_action(actor, "kepu.notification.wechat_unbound", binding)
    binding.delete()
    return True
