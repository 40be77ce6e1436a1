from django.contrib import admin
from django.urls import include, path

from kepu.api import api
from kepu.core import media

urlpatterns = [
    path("", include("kepu.core.urls")),
    path("accounts/", include("kepu.accounts.urls")),
    path("orgs/", include("kepu.orgs.urls")),
    path("places/", include("kepu.places.urls")),
    path("plans/", include("kepu.plans.urls")),
    path("orders/", include("kepu.orders.urls")),
    path("inbox/", include("kepu.notifications.urls")),
    path("open311/", include("kepu.orders.open311")),
    path("activities/", include("kepu.activities.urls")),
    path("volunteers/", include("kepu.volunteers.urls")),
    path("survey/", include("kepu.survey.urls")),
    path("bases/", include("kepu.bases.urls")),
    path("statistics/", include("kepu.statistics.urls")),
    path("resources/", include("kepu.resources.urls")),
    path("emergency/", include("kepu.emergency.urls")),
    path("leaders/", include("kepu.leaders.urls")),
    path("i18n/", include("django.conf.urls.i18n")),
    path("api/v1/", api.urls),
    path("admin/", admin.site.urls),
    # Uploaded files, each checked by the app that owns it (kepu.core.media); MEDIA_URL is /media/.
    path("media/<path:path>", media.serve, name="media"),
]

handler403 = "kepu.core.views.forbidden"
handler404 = "kepu.core.views.not_found"
handler500 = "kepu.core.views.server_error"
