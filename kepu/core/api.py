"""API plumbing shared by every app's router: authentication, errors, JSON, the actor."""

from __future__ import annotations

import json
import logging

from django.core.exceptions import PermissionDenied, ValidationError
from django.http import Http404
from django.http.multipartparser import MultiPartParserError
from django.utils.translation import gettext as _
from ninja import Field, NinjaAPI, Schema
from ninja.errors import AuthenticationError, HttpError
from ninja.errors import ValidationError as NinjaValidationError
from ninja.pagination import PageNumberPagination
from ninja.parser import Parser
from ninja.renderers import BaseRenderer
from ninja.security import APIKeyCookie, HttpBearer

from kepu.core.actor import Actor
from kepu.core.errors import DomainError

request_logger = logging.getLogger("django.request")


class UnicodeJSONRenderer(BaseRenderer):
    """JSON with Chinese as Chinese, not \\uXXXX escapes."""

    media_type = "application/json"

    def render(self, request, data, *, response_status):
        from django.core.serializers.json import DjangoJSONEncoder

        return json.dumps(data, cls=DjangoJSONEncoder, ensure_ascii=False)


class ObjectBodyParser(Parser):
    """Every body of this API is a JSON object described by its operation's schema.

    django-ninja would read ``false`` or ``[]`` as an object with every field at its default (so
    ``false`` sent to a bind endpoint unbound the target): anything but an object is refused (400).
    """

    def parse_body(self, request):
        data = super().parse_body(request)
        if not isinstance(data, dict):
            raise ValueError("the body must be a JSON object")
        return data


class SessionAuth(APIKeyCookie):
    """The browser's session, with Django's CSRF check on unsafe methods."""

    param_name = "sessionid"

    def __init__(self):
        super().__init__(csrf=True)

    def authenticate(self, request, key):
        if request.user.is_authenticated:
            return request.actor
        return None


class TokenAuth(HttpBearer):
    """``Authorization: Bearer kp_…``: the token acts in the membership it was made for."""

    def authenticate(self, request, token):
        from kepu.core.hooks import authenticate_api_token

        api_token = authenticate_api_token(token)
        if api_token is None:
            return None
        request.user = api_token.user
        request.actor = Actor(user=api_token.user, membership=api_token.membership)
        return request.actor


class Anyone:
    """The last of ``PUBLIC_AUTH``: lets an anonymous caller through (as the anonymous actor).

    In the OpenAPI document it becomes the empty requirement ``{}``: authentication is optional.
    """

    openapi_security_schema = {"type": "http", "scheme": "none"}

    def __call__(self, request):
        return getattr(request, "actor", None) or Actor()


#: For operations open to everybody that show more to those who may see more: a Bearer token or the
#: session is used when given (``actor_of(request)`` is then that person), anyone else is anonymous.
PUBLIC_AUTH = [TokenAuth(), SessionAuth(), Anyone()]


class Pages(PageNumberPagination):
    """Page-number pagination with a bounded page: ``?page=10**30`` is a 422, not an integer overflow (500)."""

    class Input(Schema):
        page: int = Field(1, ge=1, le=1_000_000)
        page_size: int | None = Field(None, ge=1, le=500)


def actor_of(request) -> Actor:
    return request.actor


def error_body(code: str, message) -> dict:
    return {"code": code, "message": str(message)}


#: Answers every operation can give besides its own: what the error handlers below send.
ERROR_RESPONSES = {
    400: "The request cannot be carried out (a domain rule refused it, or the body is unreadable).",
    403: "The caller may not do this.",
    404: "Not found, or not visible to the caller.",
    409: "Someone else changed this first.",
    422: "The request does not match the operation's schema.",
    429: "Too many attempts; try again later.",
    500: "Something went wrong on the server.",
}


class KepuAPI(NinjaAPI):
    """The API, whose OpenAPI document states every answer an operation can give.

    Every operation may answer with the JSON error body (``ErrorOut``) under the codes the error handlers
    use, and 401 when it needs a caller; an operation open to anybody lists the empty requirement.
    """

    def get_openapi_schema(self, *, path_prefix=None, path_params=None):
        schema = super().get_openapi_schema(path_prefix=path_prefix, path_params=path_params)
        components = schema.setdefault("components", {})
        components.setdefault("schemas", {})["ErrorOut"] = {
            "title": "ErrorOut",
            "type": "object",
            "properties": {"code": {"type": "string"}, "message": {"type": "string"}},
            "required": ["code", "message"],
        }
        components.get("securitySchemes", {}).pop("Anyone", None)
        error = {"content": {"application/json": {"schema": {"$ref": "#/components/schemas/ErrorOut"}}}}
        for operations in schema["paths"].values():
            for operation in operations.values():
                security = operation.get("security")
                if security is not None:
                    security[:] = [{} if "Anyone" in item else item for item in security]
                responses = operation.setdefault("responses", {})
                codes = dict(ERROR_RESPONSES)
                if security and {} not in security:
                    codes[401] = "Sign in or send a valid token."
                for code, description in codes.items():
                    responses.setdefault(code, {"description": description, **error})
        return schema


def install_error_handlers(api: NinjaAPI) -> None:
    @api.exception_handler(DomainError)
    def domain_error(request, exc: DomainError):
        return api.create_response(request, {**error_body(exc.code, exc.message), **exc.data}, status=exc.status)

    @api.exception_handler(PermissionDenied)
    def forbidden(request, exc):
        return api.create_response(request, error_body("forbidden", _("You are not allowed to do this.")), status=403)

    @api.exception_handler(Http404)
    def not_found(request, exc):
        return api.create_response(request, error_body("not_found", _("Not found.")), status=404)

    @api.exception_handler(AuthenticationError)
    def unauthenticated(request, exc):
        return api.create_response(
            request, error_body("unauthenticated", _("Sign in or send a valid token.")), status=401
        )

    @api.exception_handler(NinjaValidationError)
    def invalid(request, exc):
        return api.create_response(
            request, {**error_body("invalid", _("The request is not valid.")), "errors": exc.errors}, status=422
        )

    @api.exception_handler(ValidationError)
    def django_invalid(request, exc):
        return api.create_response(request, error_body("invalid", " ".join(exc.messages)), status=422)

    @api.exception_handler(HttpError)
    def http_error(request, exc: HttpError):
        return api.create_response(request, error_body("http_error", exc.message), status=exc.status_code)

    @api.exception_handler(MultiPartParserError)
    def unreadable_body(request, exc):
        return api.create_response(
            request, error_body("bad_request", _("The request body cannot be read.")), status=400
        )

    @api.exception_handler(Exception)
    def server_error(request, exc):
        # Logged as Django logs an unhandled error (with the traceback, to the admins' handlers); the
        # caller gets JSON like every other answer of the API, never an HTML page.
        request_logger.error(
            "Internal Server Error: %s", request.path, exc_info=exc, extra={"status_code": 500, "request": request}
        )
        return api.create_response(
            request,
            error_body("server_error", _("Something went wrong on our side. Please try again later.")),
            status=500,
        )
