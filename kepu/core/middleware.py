"""Request-wide context: the request's id, log line and database metrics; the client's address for the audit
trail; elder mode."""

import logging
import re
import time
import uuid
from contextlib import ExitStack

from django.conf import settings
from django.db import connections

from kepu.core.audit import RequestMeta, current_request_meta
from kepu.core.logs import request_id
from kepu.core.metrics import count_queries
from kepu.core.net import client_ip, from_trusted_proxy

request_logger = logging.getLogger("kepu.request")
#: An id handed over by the proxy is kept only when it looks like one (it goes into every log line).
REQUEST_ID_SHAPE = re.compile(r"^[A-Za-z0-9._-]{8,64}$")
REQUEST_ID_HEADER = "X-Request-ID"


def _incoming_request_id(request) -> str:
    """The trusted proxy's id for this request (nginx's $request_id), so its log and ours share one id."""
    header = getattr(settings, "KEPU_REQUEST_ID_HEADER", "")
    if not header:
        return ""
    if not from_trusted_proxy(request):
        return ""
    value = request.META.get("HTTP_" + header.upper().replace("-", "_"), "")
    return value if REQUEST_ID_SHAPE.match(value) else ""


class RequestLogMiddleware:
    """Outermost: gives each request an id (answered as X-Request-ID, stamped on every log line written while
    serving it), counts its database statements for the metrics, and logs one line when it is answered
    (INFO; ERROR for a 5xx) with method, path without the query string, status, duration and statements."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        rid = _incoming_request_id(request) or uuid.uuid4().hex
        request.request_id = rid
        token = request_id.set(rid)
        stats = {"queries": 0, "seconds": 0.0}
        start = time.perf_counter()
        try:
            with ExitStack() as stack:
                for alias in connections:
                    stack.enter_context(connections[alias].execute_wrapper(count_queries(stats)))
                response = self.get_response(request)
            response[REQUEST_ID_HEADER] = rid
            status = response.status_code
            request_logger.log(
                logging.ERROR if status >= 500 else logging.INFO,
                "%s %s %s",
                request.method,
                request.path,
                status,
                extra={
                    "method": request.method,
                    "path": request.path,
                    "status": status,
                    "duration_ms": round((time.perf_counter() - start) * 1000, 1),
                    "db_queries": stats["queries"],
                    "db_ms": round(stats["seconds"] * 1000, 1),
                },
            )
            return response
        finally:
            request_id.reset(token)


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
