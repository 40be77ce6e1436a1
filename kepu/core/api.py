"""API plumbing shared by every app's router: authentication, errors, JSON, the actor."""

from __future__ import annotations

import json

from django.core.exceptions import PermissionDenied, ValidationError
from django.http import Http404
from django.utils.translation import gettext as _
from ninja import NinjaAPI
from ninja.errors import AuthenticationError, HttpError
from ninja.errors import ValidationError as NinjaValidationError
from ninja.renderers import BaseRenderer
from ninja.security import APIKeyCookie, HttpBearer

from kepu.core.actor import Actor
from kepu.core.errors import DomainError


class UnicodeJSONRenderer(BaseRenderer):
    """JSON with Chinese as Chinese, not \\uXXXX escapes."""

    media_type = "application/json"

    def render(self, request, data, *, response_status):
        from django.core.serializers.json import DjangoJSONEncoder

        return json.dumps(data, cls=DjangoJSONEncoder, ensure_ascii=False)


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
        from kepu.accounts.services import api_token_authenticate

        api_token = api_token_authenticate(token)
        if api_token is None:
            return None
        request.user = api_token.user
        request.actor = Actor(user=api_token.user, membership=api_token.membership)
        return request.actor


def actor_of(request) -> Actor:
    return request.actor


def error_body(code: str, message) -> dict:
    return {"code": code, "message": str(message)}


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
        return api.create_response(request, error_body("unauthenticated", _("Sign in or send a valid token.")), status=401)

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
