"""Request-wide context: the client's address for the audit trail, and elder mode."""

from kepu.core.audit import RequestMeta, current_request_meta
from kepu.core.net import client_ip

ELDER_COOKIE = "kepu_elder"


class RequestContextMiddleware:
    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        token = current_request_meta.set(
            RequestMeta(ip=client_ip(request), user_agent=request.META.get("HTTP_USER_AGENT", ""))
        )
        try:
            return self.get_response(request)
        finally:
            current_request_meta.reset(token)


class ElderModeMiddleware:
    """Elder mode (长辈版) follows the visitor: a cookie, or the signed-in user's preference."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        user = getattr(request, "user", None)
        if user is not None and user.is_authenticated:
            request.elder_mode = bool(user.elder_mode)
        else:
            request.elder_mode = request.COOKIES.get(ELDER_COOKIE) == "1"
        return self.get_response(request)


def keep_elder_mode_on_sign_in(sender, request, user, **kwargs):
    """A visitor who turned elder mode on keeps it when they sign in (a newcomer's account starts without it)."""
    if request is not None and request.COOKIES.get(ELDER_COOKIE) == "1" and not user.elder_mode:
        from kepu.core.hooks import set_elder_mode

        set_elder_mode(user=user, on=True)


class DomainErrorMiddleware:
    """Turn a ``DomainError`` that a view let through into what the user should see.

    Views call services and let refusals rise; this is the one place that answers them:
    403 and 404 become the forbidden and not-found pages; any other error becomes the message
    in the page's alert region — for an htmx request a fragment retargeted there (so it shows
    whatever element the request was aimed at), otherwise a message on the page the user came
    from (post/redirect/get). Views that re-render a form with its errors catch the error
    themselves with ``kepu.core.http.errors_into(form)``.
    """

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        return self.get_response(request)

    def process_exception(self, request, exception):
        from kepu.core.errors import DomainError

        if not isinstance(exception, DomainError) or request.path.startswith("/api/"):
            return None
        from kepu.core.http import domain_error_response

        return domain_error_response(request, exception)
