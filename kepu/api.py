"""The API under /api/v1/: one router per app, all behind the same auth and permission layer."""

from kepu.core.api import KepuAPI, ObjectBodyParser, SessionAuth, TokenAuth, UnicodeJSONRenderer, install_error_handlers

api = KepuAPI(
    title="kepu API",
    version="1",
    description="The science-popularization platform's API. Authenticate with the session cookie (and the CSRF "
    'header) or with `Authorization: Bearer <token>`. Errors are JSON: `{"code": …, "message": …}`.',
    auth=[TokenAuth(), SessionAuth()],
    renderer=UnicodeJSONRenderer(),
    parser=ObjectBodyParser(),
    urls_namespace="api-1",
)
install_error_handlers(api)

from kepu.accounts.api import auth_router  # noqa: E402
from kepu.accounts.api import router as accounts_router
from kepu.activities.api import router as activities_router  # noqa: E402
from kepu.bases.api import router as bases_router  # noqa: E402
from kepu.core.audit_api import router as audit_router  # noqa: E402
from kepu.emergency.api import router as emergency_router  # noqa: E402
from kepu.leaders.api import router as leaders_router  # noqa: E402
from kepu.notifications.api import router as notifications_router  # noqa: E402
from kepu.orders.api import router as orders_router  # noqa: E402
from kepu.orgs.api import router as orgs_router  # noqa: E402
from kepu.places.api import router as places_router  # noqa: E402
from kepu.plans.api import router as plans_router  # noqa: E402
from kepu.resources.api import router as resources_router  # noqa: E402
from kepu.statistics.api import router as statistics_router  # noqa: E402
from kepu.survey.api import router as survey_router  # noqa: E402
from kepu.volunteers.api import router as volunteers_router  # noqa: E402

api.add_router("/auth", auth_router)
api.add_router("/places", places_router)
api.add_router("/orgs", orgs_router)
api.add_router("/people", accounts_router)
api.add_router("/audit", audit_router)
api.add_router("/plans", plans_router)
api.add_router("/orders", orders_router)
api.add_router("/notifications", notifications_router)
api.add_router("/activities", activities_router)
api.add_router("/volunteers", volunteers_router)
api.add_router("/survey", survey_router)
api.add_router("/bases", bases_router)

api.add_router("/statistics", statistics_router)

api.add_router("/resources", resources_router)
api.add_router("/emergency", emergency_router)
api.add_router("/leaders", leaders_router)
