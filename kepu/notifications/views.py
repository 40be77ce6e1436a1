"""The inbox page (thin)."""

from django.core.paginator import Paginator
from django.http import Http404
from django.shortcuts import redirect
from django.template.response import TemplateResponse
from django.utils.http import url_has_allowed_host_and_scheme
from django.views.decorators.http import require_POST

from kepu.core.errors import NotFound
from kepu.core.http import login_required
from kepu.notifications import selectors, services


@login_required
def inbox(request):
    unread_only = request.GET.get("unread") == "1"
    messages = selectors.inbox(actor=request.actor, unread_only=unread_only)
    page = Paginator(messages, 30).get_page(request.GET.get("page"))
    context = {"page": page, "unread_only": unread_only, "unread": selectors.unread_count(actor=request.actor)}
    return TemplateResponse(request, "notifications/inbox.html", context)


@login_required
def go(request, pk):
    """The short link in a text message: the message's page, marked read (only for its recipient)."""
    return _open(request, pk)


@require_POST
@login_required
def open_notification(request, pk):
    return _open(request, pk)


def _open(request, pk):
    try:
        notification = selectors.notification_get(actor=request.actor, pk=pk)
    except NotFound:
        raise Http404 from None
    services.notification_mark_read(actor=request.actor, notification=notification)
    target = notification.url
    if not target or not url_has_allowed_host_and_scheme(target, {request.get_host()}):
        target = "notifications:inbox"
    return redirect(target)


@require_POST
@login_required
def mark_all_read(request):
    services.notification_mark_all_read(actor=request.actor)
    return redirect("notifications:inbox")
