"""The in-site inbox: one row per message to one person."""

from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _


class Notification(models.Model):
    """A message in a person's inbox (站内信).

    ``kind`` is a dotted code of the event that caused it (``kepu.orders.dispatched``), so an
    app can find or count its own messages; ``url`` is where the person acts on it.
    """

    # An emergency writes a row per resident of a district: the one index (recipient, read_at) serves the inbox,
    # its unread count and the person's own export, so neither key carries an index of its own; and the key is
    # not checked by the database (a deferred check per row tripled the time of a district's 2M rows, measured in
    # bench/emergency). The rows come from a SELECT of people who exist, and Django deletes them with the person.
    recipient = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("recipient"),
        on_delete=models.CASCADE,
        related_name="notifications",
        db_index=False,
        db_constraint=False,
    )
    kind = models.CharField(_("kind"), max_length=80, blank=True)
    title = models.CharField(_("title"), max_length=200)
    body = models.TextField(_("text"), blank=True)
    url = models.CharField(_("link"), max_length=300, blank=True)
    created_at = models.DateTimeField(_("sent at"), auto_now_add=True)
    read_at = models.DateTimeField(_("read at"), null=True, blank=True)

    class Meta:
        verbose_name = _("notification")
        verbose_name_plural = _("notifications")
        ordering = ["-created_at", "-id"]
        indexes = [models.Index(fields=["recipient", "read_at"])]

    def __str__(self):
        return self.title

    @property
    def is_read(self) -> bool:
        return self.read_at is not None


class WeChatBinding(models.Model):
    """A person's openid on the platform's official account (公众号), where template messages go.

    Only people who followed the account and bound it have one (``services.wechat_bind``, called by the
    deployment's sign-in callback); everyone else is reached by the inbox and SMS. One per person.
    """

    user = models.OneToOneField(
        settings.AUTH_USER_MODEL, verbose_name=_("person"), on_delete=models.CASCADE, related_name="wechat_binding"
    )
    openid = models.CharField(_("WeChat openid"), max_length=64, unique=True)
    bound_at = models.DateTimeField(_("bound at"), auto_now=True)

    class Meta:
        verbose_name = _("WeChat binding")
        verbose_name_plural = _("WeChat bindings")

    def __str__(self):
        return f"{self.user_id}"
