"""Small helpers shared by the web views."""

from functools import wraps

from django.contrib.auth.views import redirect_to_login
from django.core.exceptions import PermissionDenied


def login_url_for(roles) -> str:
    """Where a visitor signs in to open a page for ``roles``: a page residents may open sends them to the
    phone sign-in (a resident never lands on the staff password form); a staff-only page to the staff one."""
    from django.urls import reverse

    from kepu.core.roles import PUBLIC_ROLES

    if not roles or None in roles or set(roles) & PUBLIC_ROLES:
        return reverse("accounts:phone_login")
    return reverse("accounts:login")


def role_required(*roles):
    """Only actors in one of ``roles`` may open the view; others get the 403 page.

    ``None`` among the roles admits a person signed in without any role yet (a new resident)."""

    def decorator(view):
        @wraps(view)
        def wrapped(request, *args, **kwargs):
            actor = request.actor
            if not actor.is_authenticated:
                return redirect_to_login(request.get_full_path(), login_url_for(roles))
            if roles and actor.role not in roles:
                raise PermissionDenied
            return view(request, *args, **kwargs)

        wrapped.kepu_roles = tuple(roles)
        return wrapped

    return decorator


def opens(actor, url: str) -> bool:
    """Whether ``actor``'s role may open the page at ``url`` (a link to a page that would answer 403 is not
    shown). Only the view's role gate is asked: what the page then shows is scoped by the app's own selectors."""
    from urllib.parse import urlsplit

    from django.urls import Resolver404, resolve

    if not url:
        return False
    try:
        match = resolve(urlsplit(url).path)
    except Resolver404:
        return False
    roles = getattr(match.func, "kepu_roles", None)
    if roles is None:
        return True
    if not actor.is_authenticated:
        return False
    return not roles or actor.role in roles


def login_required(view):
    return role_required()(view)


def is_htmx(request) -> bool:
    return bool(getattr(request, "htmx", False))


def safe_next(request, candidate: str | None, fallback: str = "/") -> str:
    """``candidate`` if it is a path on this site, else ``fallback`` (no open redirects)."""
    from django.utils.http import url_has_allowed_host_and_scheme

    if candidate and url_has_allowed_host_and_scheme(
        candidate, allowed_hosts={request.get_host()}, require_https=request.is_secure()
    ):
        return candidate
    return fallback


def domain_error_response(request, exc):
    """The response to a refusal: see ``kepu.core.middleware.DomainErrorMiddleware``."""
    from django.contrib import messages
    from django.http import HttpResponseRedirect
    from django.template.response import TemplateResponse

    from kepu.core import views as core_views

    if exc.status == 404:
        return core_views.not_found(request)
    if exc.status == 403:
        return core_views.forbidden(request)
    if is_htmx(request):
        response = TemplateResponse(
            request, "includes/alert.html", {"message": exc.message, "level": "error"}, status=exc.status
        )
        response["HX-Retarget"] = "#alerts"
        response["HX-Reswap"] = "innerHTML"
        return response.render()
    back = safe_next(request, request.META.get("HTTP_REFERER"), "")
    if back and back != request.get_full_path():
        messages.error(request, exc.message)
        return HttpResponseRedirect(back)
    # Nowhere sensible to go back to (no referrer, or the page itself failed): say it here.
    return TemplateResponse(request, "error.html", {"message": exc.message}, status=exc.status).render()


class errors_into:
    """``with errors_into(form): …`` — a ``DomainError`` raised inside becomes the form's error.

    The block is left at the error, and the view goes on to render the form again with the
    user's input and the message next to the field the error names (``exc.data["field"]``, or
    the fields of an ``InputInvalid``), so nothing the user typed is lost.
    """

    def __init__(self, form, field_of=None):
        self.form = form
        self.field_of = field_of
        self.error = None

    def __enter__(self):
        return self

    def __exit__(self, exc_type, exc, tb):
        from kepu.core.errors import DomainError

        if exc is None or not isinstance(exc, DomainError) or exc.status in (403, 404):
            return False
        self.error = exc
        fields = exc.data.get("fields") if isinstance(exc.data, dict) else None
        if fields:
            for name, msgs in fields.items():
                target = name if name in self.form.fields else None
                for m in msgs:
                    self.form.add_error(target, m)
            return True
        name = self.field_of(exc) if self.field_of else exc.data.get("field")
        self.form.add_error(name if name in self.form.fields else None, str(exc.message))
        return True
