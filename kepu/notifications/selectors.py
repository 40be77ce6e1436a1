"""Reads of the inbox: always the actor's own."""

from django.db.models import QuerySet

from kepu.core.actor import Actor
from kepu.core.permissions import get_visible, scope
from kepu.notifications.models import Notification


def inbox(*, actor: Actor, unread_only: bool = False) -> QuerySet[Notification]:
    qs = scope(actor, Notification.objects.all())
    if unread_only:
        qs = qs.filter(read_at__isnull=True)
    return qs.order_by("-created_at", "-id")


def unread_count(*, actor: Actor) -> int:
    return inbox(actor=actor, unread_only=True).count()


def notification_get(*, actor: Actor, pk: int) -> Notification:
    return get_visible(actor, Notification.objects.all(), pk=pk)


def personal_data(user) -> list[dict]:
    """The messages sent to a person, for their own download ("My data")."""
    return [
        {"title": n.title, "body": n.body, "sent_at": n.created_at.isoformat(), "read": n.read_at is not None}
        for n in Notification.objects.filter(recipient=user).order_by("created_at")
    ]
