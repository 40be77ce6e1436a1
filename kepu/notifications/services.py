"""``notify``: the one way any app tells people that something needs them."""

from __future__ import annotations

import logging
from collections.abc import Iterable

from django.db import transaction
from django.utils import timezone

from kepu.core.actor import Actor
from kepu.core.audit import log_action
from kepu.core.errors import DomainError
from kepu.core.messaging import send_sms
from kepu.core.permissions import require
from kepu.notifications.channels import wechat_backend
from kepu.notifications.models import Notification, WeChatBinding
from kepu.notifications.permissions import BindingAction, NotificationAction

logger = logging.getLogger(__name__)

INBOX, SMS, WECHAT = "inbox", "sms", "wechat"


def notify(
    recipients: Iterable,
    *,
    title: str,
    body: str = "",
    url: str = "",
    kind: str = "",
    channels: Iterable[str] = (INBOX,),
) -> list[Notification]:
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
        links = {n.recipient_id: short_link(n) for n in created if n.pk}

        def send():
            for user in people:
                try:
                    if SMS in channels and user.phone:
                        link = links.get(user.pk) or absolute(url)
                        send_sms(user.phone, f"{text} {link}".strip(), purpose=kind)
                    if WECHAT in channels:
                        wechat_backend().send_template(
                            user=user, template=kind or "generic", data={"title": title, "body": body}, url=url
                        )
                except Exception:  # a channel outage must not lose the other recipients' messages
                    logger.exception("notification channel failed for user %s", user.pk)

        transaction.on_commit(send)
    return created


def notify_many(
    user_ids: Iterable[int],
    *,
    title: str,
    body: str = "",
    url: str = "",
    kind: str = "",
    channels: Iterable[str] = (INBOX,),
) -> int:
    """``notify`` for a batch of people given by id, for fan-outs to thousands at a time.

    The inbox rows go in with one bulk insert; SMS and WeChat go out after commit like ``notify``'s,
    each person loaded in chunks for their phone. Returns how many people were told. The caller
    batches (a few thousand ids per call, each call in its own short transaction).
    """
    from django.contrib.auth import get_user_model

    from kepu.core.bulk import insert_rows

    ids = list(dict.fromkeys(int(i) for i in user_ids if i))
    channels = set(channels)
    if not ids:
        return 0
    if INBOX in channels:
        row = {"kind": kind, "title": title[:200], "body": body, "url": url}
        insert_rows(Notification, [{**row, "recipient_id": i} for i in ids])
    if SMS in channels or WECHAT in channels:

        def send():
            for start in range(0, len(ids), 500):
                people = get_user_model().objects.filter(pk__in=ids[start : start + 500])
                notify(people, title=title, body=body, url=url, kind=kind, channels=channels - {INBOX})

        transaction.on_commit(send)
    return len(ids)


def inbox_from(recipients, *, title: str, body: str = "", url: str = "", kind: str = "", at=None) -> int:
    """An inbox message for each person of ``recipients`` — a one-column queryset of user ids, possibly another
    app's (its deliveries of one batch, say) — written by one ``INSERT … SELECT`` in the database, in the
    queryset's order. For fan-outs to whole districts: no id travels through Python. SMS and WeChat are the
    caller's to send (``notify_many`` without the inbox), usually from a task of their own. Returns the count.
    """
    from django.db import connection
    from django.db.models import DateTimeField

    sql, params = recipients.query.sql_with_params()
    meta = Notification._meta
    qn = connection.ops.quote_name
    fields = ("recipient", "kind", "title", "body", "url", "created_at")
    columns = ", ".join(qn(meta.get_field(f).column) for f in fields)
    sent_at = DateTimeField().get_db_prep_save(at or timezone.now(), connection)
    # ``q.*`` is the subquery's one column whatever the other app called it; ``WHERE true`` keeps SQLite's parser
    # from reading what follows as a join.
    statement = f"INSERT INTO {qn(meta.db_table)} ({columns}) SELECT q.*, %s, %s, %s, %s, %s FROM ({sql}) q WHERE true"
    with connection.cursor() as cursor:
        cursor.execute(statement, (kind, title[:200], body, url, sent_at, *params))
        return max(cursor.rowcount, 0)


def absolute(url: str) -> str:
    """A path on this site as a full address for a text message ("" stays "")."""
    from django.conf import settings

    if not url or "://" in url:
        return url
    return settings.KEPU_SITE_URL.rstrip("/") + url


def short_link(notification: Notification) -> str:
    """The short address of a message that opens its page (and marks it read): ``…/inbox/123/``."""
    from django.urls import reverse

    if not notification.url:
        return ""
    return absolute(reverse("notifications:go", args=[notification.pk]))


@transaction.atomic
def notification_mark_read(*, actor: Actor, notification: Notification) -> Notification:
    notification = Notification.objects.select_for_update().get(pk=notification.pk)
    require(actor, NotificationAction.MARK_READ, notification)
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
    require(actor, BindingAction.BIND, WeChatBinding(user_id=actor.user_id))
    openid = (openid or "").strip()
    if not 10 <= len(openid) <= 64 or not set(openid) <= OPENID_CHARS:
        from django.utils.translation import gettext as _

        raise DomainError(_("That is not a WeChat openid."), code="openid_invalid")
    # One WeChat user is one person: an openid bound to someone else moves to this person.
    for earlier in WeChatBinding.objects.select_for_update().filter(openid=openid).exclude(user_id=actor.user_id):
        log_action(actor, "kepu.notifications.wechat_moved", earlier, data={"from_user": earlier.user_id})
        earlier.delete()
    binding, _created = WeChatBinding.objects.update_or_create(user_id=actor.user_id, defaults={"openid": openid})
    log_action(actor, "kepu.notifications.wechat_bound", binding)
    return binding


@transaction.atomic
def wechat_unbind(*, actor: Actor) -> bool:
    require(actor, BindingAction.UNBIND, WeChatBinding(user_id=actor.user_id))
    binding = WeChatBinding.objects.select_for_update().filter(user_id=actor.user_id).first()
    if binding is None:
        return False
    log_action(actor, "kepu.notifications.wechat_unbound", binding)
    binding.delete()
    return True
