"""Pages every role shares: landing, role homes, elder mode, the audit trail, health."""

import json

from django.conf import settings
from django.core.exceptions import PermissionDenied
from django.core.paginator import Paginator
from django.db import connection
from django.http import HttpResponse, HttpResponsePermanentRedirect, JsonResponse
from django.shortcuts import redirect
from django.template import loader
from django.template.response import TemplateResponse
from django.templatetags.static import static
from django.urls import reverse
from django.utils.http import url_has_allowed_host_and_scheme
from django.utils.translation import get_language
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from kepu.core import selectors
from kepu.core.audit import describe, subjects
from kepu.core.home import cards_for, panels_for, todos_for
from kepu.core.hooks import set_elder_mode
from kepu.core.http import login_required, role_required
from kepu.core.middleware import ELDER_COOKIE
from kepu.core.models import AuditEntry
from kepu.core.nav import nav_for
from kepu.core.permissions import can
from kepu.core.roles import OFFICE_ROLES, PUBLIC_ROLES, Role
from kepu.core.selectors import AuditAction
from kepu.core.worker import stale_workers

ELDER_CARDS = 4


def _resident_home(request):
    """The public side's home, like a mini program: the next step first, large cards, what is on near me."""
    actor = request.actor
    cards = cards_for(actor)
    if request.elder_mode:
        cards = cards[:ELDER_CARDS]  # 长辈版: fewer choices on a screen; the rest stay in the tab bar and menu
    context = {
        "todos": todos_for(actor),
        "cards": cards,
        "panels": panels_for(actor),
        "needs_profile": actor.is_authenticated and actor.role is None,
    }
    return TemplateResponse(request, "core/resident_home.html", context)


def landing(request):
    if request.actor.is_authenticated:
        return redirect("core:home")
    return _resident_home(request)


@login_required
def home(request):
    role = request.actor.role
    if role is None:
        # Signed in without a community yet: the resident home, where ordering needs no detour.
        return _resident_home(request)
    return redirect("core:role_home", role=role)


@login_required
def role_home(request, role):
    if role not in Role.values:
        raise PermissionDenied
    if request.actor.role != role:
        raise PermissionDenied
    if role in PUBLIC_ROLES:
        return _resident_home(request)
    todos = todos_for(request.actor)
    context = {
        "role_label": Role(role).label,
        "todos": todos,
        "alerts": [t for t in todos if t.overdue],
        "cards": nav_for(role),
        # The city office runs the platform: it is told when background work has stopped.
        "stale_workers": stale_workers() if can(request.actor, AuditAction.WATCH_PLATFORM, AuditEntry) else [],
    }
    return TemplateResponse(request, "core/home.html", context)


def privacy(request):
    return _legal(request, "privacy")


def terms(request):
    return _legal(request, "terms")


def _legal(request, which: str):
    """The privacy policy and the user agreement: one text per language, the operator from the settings."""
    lang = "en" if (get_language() or "").startswith("en") else "zh"
    context = {
        "which": which,
        "text": f"core/legal/{which}_{lang}.html",
        "version": settings.KEPU_POLICY_VERSION,
        "operator": settings.KEPU_OPERATOR_NAME,
        "contact": settings.KEPU_OPERATOR_CONTACT,
    }
    return TemplateResponse(request, "core/legal.html", context)


def manifest(request):
    """The web app manifest, so that "add to home screen" gives the platform's name and icon."""
    body = {
        "name": _("Kepu platform"),
        "short_name": _("Kepu"),
        "start_url": "/",
        "display": "standalone",
        "background_color": "#ffffff",
        "theme_color": "#0b4ea2",
        "icons": [
            {"src": static("kepu/icon-192.png"), "sizes": "192x192", "type": "image/png"},
            {"src": static("kepu/icon-512.png"), "sizes": "512x512", "type": "image/png"},
            {"src": static("kepu/favicon.svg"), "sizes": "any", "type": "image/svg+xml"},
        ],
    }
    return HttpResponse(json.dumps(body, ensure_ascii=False), content_type="application/manifest+json")


def favicon(request):
    return HttpResponsePermanentRedirect(static("kepu/favicon-32.png"))


@require_POST
def toggle_elder(request):
    on = request.POST.get("on") == "1"
    set_elder_mode(user=request.user, on=on)
    target = request.POST.get("next") or request.META.get("HTTP_REFERER") or "/"
    if not url_has_allowed_host_and_scheme(target, {request.get_host()}, require_https=request.is_secure()):
        target = "/"
    response = redirect(target)
    response.set_cookie(ELDER_COOKIE, "1" if on else "0", max_age=60 * 60 * 24 * 365, samesite="Lax")
    return response


@role_required(*OFFICE_ROLES)
def audit_list(request):
    """The trail in words: what happened (not its code), the role by name, the time in the local zone."""
    action = request.GET.get("action", "")
    entries = selectors.audit_list(actor=request.actor, action=action)
    page = Paginator(entries, 50).get_page(request.GET.get("page"))
    rows = [(e, describe(e.action), _role_label(e.role)) for e in page]
    # Addresses are personal data: the city office, which investigates, sees them; district offices do not.
    show_ip = can(request.actor, AuditAction.VIEW_IP, AuditEntry)
    context = {"page": page, "rows": rows, "action": action, "subjects": subjects(), "show_ip": show_ip}
    return TemplateResponse(request, "core/audit_list.html", context)


def _role_label(role: str) -> str:
    return str(Role(role).label) if role in Role.values else role


def healthz(request):
    with connection.cursor() as cursor:
        cursor.execute("SELECT 1")
    return JsonResponse({"ok": True, "database": connection.vendor})


def readyz(request):
    """Readiness (healthz is liveness): 503 with a short reason while this instance should get no traffic."""
    from kepu.core import readiness

    reason = readiness.problem()
    if reason:
        return JsonResponse({"ready": False, "reason": reason}, status=503)
    return JsonResponse({"ready": True})


def forbidden(request, exception=None):
    return TemplateResponse(request, "403.html", {"home": reverse("core:home")}, status=403)


def not_found(request, exception=None):
    if request.path.startswith("/api/"):
        return JsonResponse({"code": "not_found", "message": str(_("Not found."))}, status=404, **_JSON)
    return TemplateResponse(request, "404.html", {}, status=404)


def server_error(request):
    """The 500 page: standalone (no context processors, no database), JSON under /api/."""
    if request.path.startswith("/api/"):
        message = str(_("Something went wrong on our side. Please try again later."))
        return JsonResponse({"code": "server_error", "message": message}, status=500, **_JSON)
    return HttpResponse(loader.get_template("500.html").render({}), status=500)


_JSON = {"json_dumps_params": {"ensure_ascii": False}}


def robots(request):
    return HttpResponse("User-agent: *\nDisallow: /\n", content_type="text/plain")
