"""What core calls and an app provides. Core depends on no app, yet its middleware, API authentication and
elder-mode switch act on people, which accounts owns: accounts plugs its functions in here in its ``ready()``.

A hook nobody provided answers as a platform without that app would: no token is valid, nothing is remembered.
"""

from collections.abc import Callable

_provided: dict[str, Callable] = {}

#: ``(token: str) -> ApiToken | None``: the API token with this secret, if it is valid.
AUTHENTICATE_API_TOKEN = "authenticate_api_token"
#: ``(*, user, on: bool) -> None``: remember a person's elder-mode choice.
SET_ELDER_MODE = "set_elder_mode"


def provide(name: str, fn: Callable) -> None:
    _provided[name] = fn


def authenticate_api_token(token: str):
    fn = _provided.get(AUTHENTICATE_API_TOKEN)
    return fn(token) if fn else None


def set_elder_mode(*, user, on: bool) -> None:
    fn = _provided.get(SET_ELDER_MODE)
    if fn and getattr(user, "is_authenticated", False):
        fn(user=user, on=on)
