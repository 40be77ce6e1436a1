"""Pages every role shares: landing, role homes, elder mode, the audit trail, health."""

from django.core.exceptions import PermissionDenied
from django.core.paginator import Paginator
from django.db import connection
from django.http import HttpResponse, JsonResponse
from django.shortcuts import redirect
from django.template.response import TemplateResponse
from django.urls import reverse
from django.utils.http import url_has_allowed_host_and_scheme
from django.views.decorators.http import require_POST

from kepu.accounts.services import set_elder_mode
from kepu.core import selectors
from kepu.core.http import login_required, role_required
from kepu.core.middleware import ELDER_COOKIE
from kepu.core.nav import nav_for
from kepu.core.roles import OFFICE_ROLES, Role


def landing(request):
    if request.actor.is_authenticated:
        return redirect("core:home")
    return TemplateResponse(request, "core/landing.html", {})


@login_required
def home(request):
    role = request.actor.role
    if role is None:
        return redirect("accounts:welcome")
    return redirect("core:role_home", role=role)


@login_required
def role_home(request, role):
    if role not in Role.values:
        raise PermissionDenied
    if request.actor.role != role:
        raise PermissionDenied
    context = {
        "role_label": Role(role).label,
        "cards": nav_for(role),
        "stats": selectors.home_stats(actor=request.actor),
    }
    return TemplateResponse(request, "core/home.html", context)


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
    entries = selectors.audit_list(actor=request.actor, action=request.GET.get("action", ""))
    page = Paginator(entries, 50).get_page(request.GET.get("page"))
    return TemplateResponse(request, "core/audit_list.html", {"page": page, "action": request.GET.get("action", "")})


def healthz(request):
    with connection.cursor() as cursor:
        cursor.execute("SELECT 1")
    return JsonResponse({"ok": True, "database": connection.vendor})


def forbidden(request, exception=None):
    return TemplateResponse(request, "403.html", {"home": reverse("core:home")}, status=403)


def not_found(request, exception=None):
    return TemplateResponse(request, "404.html", {}, status=404)


def robots(request):
    return HttpResponse("User-agent: *\nDisallow: /\n", content_type="text/plain")
