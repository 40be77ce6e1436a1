"""The warning feed's signature: HMAC-SHA256 over ``<timestamp>.<body>`` with the shared secret.

A sender (a 12379-style warning system's relay) signs each request; the endpoint refuses a request without a
signature, with a wrong one, or stamped more than ``WINDOW`` seconds away from our clock. A request seen before
is refused by the service (its signature is kept for a day, longer than the window). See docs/EMERGENCY_FEED.md.
"""

from __future__ import annotations

import hashlib
import hmac

from django.conf import settings
from django.utils.translation import gettext_lazy as _

from kepu.core import clock
from kepu.core.errors import DomainError

#: Seconds a signed request stays valid either side of our clock.
WINDOW = 300
SIGNATURE_HEADER = "X-Kepu-Signature"
TIMESTAMP_HEADER = "X-Kepu-Timestamp"


class FeedRefused(DomainError):
    code = "feed_unsigned"
    status = 401
    default_message = _("The request is not signed with the feed's secret.")


def sign(body: bytes, timestamp: int | str, secret: str | None = None) -> str:
    key = (secret if secret is not None else settings.KEPU_EMERGENCY_FEED_SECRET).encode()
    return hmac.new(key, str(timestamp).encode() + b"." + body, hashlib.sha256).hexdigest()


def verify(body: bytes, timestamp: str | None, signature: str | None) -> str:
    """Return the signature when the request is signed, fresh and intact; raise ``FeedRefused`` otherwise."""
    secret = getattr(settings, "KEPU_EMERGENCY_FEED_SECRET", "")
    if not secret:
        raise FeedRefused(_("The warning feed is not set up on this platform."), code="feed_off", status=503)
    if not timestamp or not signature:
        raise FeedRefused()
    try:
        stamp = int(timestamp)
    except ValueError:
        raise FeedRefused(code="feed_bad_timestamp") from None
    if abs(clock.now().timestamp() - stamp) > WINDOW:
        raise FeedRefused(_("The request is too old (or from the future)."), code="feed_stale")
    expected = sign(body, stamp, secret)
    if not hmac.compare_digest(expected, signature.strip().lower()):
        raise FeedRefused(_("The signature does not match."), code="feed_bad_signature")
    return expected
