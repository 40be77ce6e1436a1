"""Request-wide context: the client's address for the audit trail, and elder mode."""

from kepu.core.audit import RequestMeta, current_request_meta

ELDER_COOKIE = "kepu_elder"


class RequestContextMiddleware:
    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        token = current_request_meta.set(
            RequestMeta(ip=request.META.get("REMOTE_ADDR"), user_agent=request.META.get("HTTP_USER_AGENT", ""))
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
