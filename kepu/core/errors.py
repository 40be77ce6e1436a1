"""Domain errors with stable codes.

Services raise ``DomainError`` (or a subclass) when a request cannot be carried out; the
web layer turns it into a message for the user and the API into ``{"code", "message"}``.
The code is stable and machine-readable; the message is translated.
"""

from django.utils.translation import gettext_lazy as _


class DomainError(Exception):
    code = "invalid"
    status = 400
    default_message = _("The request could not be carried out.")

    def __init__(self, message=None, *, code: str | None = None, status: int | None = None, data=None):
        self.message = message or self.default_message
        if code:
            self.code = code
        if status:
            self.status = status
        self.data = data or {}
        super().__init__(str(self.message))


class NotAllowed(DomainError):
    """The actor may not do this (deny by default)."""

    code = "forbidden"
    status = 403
    default_message = _("You are not allowed to do this.")


class NotFound(DomainError):
    code = "not_found"
    status = 404
    default_message = _("Not found.")


class Conflict(DomainError):
    """The object moved on meanwhile (someone else was first, or the state changed)."""

    code = "conflict"
    status = 409
    default_message = _("Someone else changed this first. Reload and try again.")
