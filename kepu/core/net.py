"""The client's address, as the deployment says to read it.

Behind a reverse proxy every request comes from the proxy (127.0.0.1), so ``REMOTE_ADDR`` alone
would make one visitor's mistakes everyone's. The proxy's header (``KEPU_TRUSTED_PROXY_HEADER``,
e.g. ``X-Forwarded-For``) is believed only when the request really comes from one of
``KEPU_TRUSTED_PROXIES``; then the client is the right-most address in the header that is not a
proxy itself (addresses further left were written by the client and can be anything).
"""

from __future__ import annotations

import ipaddress
from functools import lru_cache

from django.conf import settings


@lru_cache(maxsize=8)
def _networks(proxies: tuple[str, ...]) -> tuple:
    return tuple(ipaddress.ip_network(p, strict=False) for p in proxies)


def _address(value: str | None):
    try:
        return ipaddress.ip_address((value or "").strip())
    except ValueError:
        return None


def _is_proxy(address, networks) -> bool:
    return any(address in net for net in networks)


def from_trusted_proxy(request) -> bool:
    """Whether the request's socket address is one of ``KEPU_TRUSTED_PROXIES``."""
    remote = _address(request.META.get("REMOTE_ADDR"))
    return remote is not None and _is_proxy(remote, _networks(tuple(settings.KEPU_TRUSTED_PROXIES)))


def client_ip(request) -> str | None:
    """The address of whoever sent ``request`` (a string), or None when it cannot be told."""
    remote = _address(request.META.get("REMOTE_ADDR"))
    header = getattr(settings, "KEPU_TRUSTED_PROXY_HEADER", "")
    if remote is None or not header:
        return str(remote) if remote is not None else None
    networks = _networks(tuple(settings.KEPU_TRUSTED_PROXIES))
    if not _is_proxy(remote, networks):
        return str(remote)
    meta_name = "HTTP_" + header.upper().replace("-", "_")
    chain = [_address(part) for part in request.META.get(meta_name, "").split(",")]
    for address in reversed(chain):
        if address is None:
            return str(remote)  # a garbled header: fall back to what the socket says
        if not _is_proxy(address, networks):
            return str(address)
    return str(remote)
