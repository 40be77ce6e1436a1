"""The API under /api/v1/: one router per app, all behind the same auth and permission layer."""

from ninja import NinjaAPI

from kepu.core.api import SessionAuth, TokenAuth, UnicodeJSONRenderer, install_error_handlers

api = NinjaAPI(
    title="kepu API",
    version="1",
    description="The science-popularization platform's API. Authenticate with the session cookie (and the CSRF "
    "header) or with `Authorization: Bearer <token>`. Errors are JSON: `{\"code\": …, \"message\": …}`.",
    auth=[TokenAuth(), SessionAuth()],
    renderer=UnicodeJSONRenderer(),
    urls_namespace="api-1",
)
install_error_handlers(api)

from kepu.accounts.api import auth_router, router as accounts_router  # noqa: E402
from kepu.core.audit_api import router as audit_router  # noqa: E402
from kepu.orgs.api import router as orgs_router  # noqa: E402
from kepu.places.api import router as places_router  # noqa: E402
from kepu.notifications.api import router as notifications_router  # noqa: E402
from kepu.orders.api import router as orders_router  # noqa: E402

api.add_router("/auth", auth_router)
api.add_router("/places", places_router)
api.add_router("/orgs", orgs_router)
api.add_router("/people", accounts_router)
api.add_router("/audit", audit_router)
api.add_router("/orders", orders_router)
api.add_router("/notifications", notifications_router)
