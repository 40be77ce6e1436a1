"""Deployment checks of our own, run by ``manage.py check --deploy`` (and so by ``manage.py deploy``)."""

from django.conf import settings
from django.core import checks


@checks.register(checks.Tags.security, deploy=True)
def proxy_address_header(app_configs, **kwargs):
    # Behind a reverse proxy every request comes from the proxy's address. Without the proxy's address
    # header, the per-address sign-in slowdown counts the whole city's typos as one visitor's and
    # refuses everyone (kepu.accounts.lockout).
    if getattr(settings, "SECURE_PROXY_SSL_HEADER", None) and not settings.KEPU_TRUSTED_PROXY_HEADER:
        return [
            checks.Warning(
                "Behind a reverse proxy (KEPU_PROXY_SSL_HEADER is set) but KEPU_TRUSTED_PROXY_HEADER is not: "
                "every visitor would share the proxy's address, and the sign-in slowdown per address would "
                "refuse the whole city.",
                hint="Set KEPU_TRUSTED_PROXY_HEADER=X-Forwarded-For (and KEPU_TRUSTED_PROXIES to the proxy's "
                "addresses).",
                id="kepu.W001",
            )
        ]
    return []
