"""Small helpers shared by the web views."""

from functools import wraps

from django.contrib.auth.views import redirect_to_login
from django.core.exceptions import PermissionDenied


def role_required(*roles):
    """Only actors in one of ``roles`` may open the view; others get the 403 page."""

    def decorator(view):
        @wraps(view)
        def wrapped(request, *args, **kwargs):
            actor = request.actor
            if not actor.is_authenticated:
                return redirect_to_login(request.get_full_path())
            if roles and actor.role not in roles:
                raise PermissionDenied
            return view(request, *args, **kwargs)

        return wrapped

    return decorator


def login_required(view):
    return role_required()(view)


def is_htmx(request) -> bool:
    return bool(getattr(request, "htmx", False))
