from django.conf import settings
from django.contrib import admin
from django.urls import include, path

from kepu.api import api

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
    path("i18n/", include("django.conf.urls.i18n")),
    path("api/v1/", api.urls),
    path("admin/", admin.site.urls),
]

handler403 = "kepu.core.views.forbidden"
handler404 = "kepu.core.views.not_found"

if settings.DEBUG:
    from django.conf.urls.static import static

    urlpatterns += static(settings.MEDIA_URL, document_root=settings.MEDIA_ROOT)
