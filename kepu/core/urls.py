from django.urls import path

from kepu.core import views
from kepu.core.metrics import metrics_view

app_name = "core"
urlpatterns = [
    path("", views.landing, name="landing"),
    path("home/", views.home, name="home"),
    path("w/<slug:role>/", views.role_home, name="role_home"),
    path("elder/", views.toggle_elder, name="elder"),
    path("audit/", views.audit_list, name="audit"),
    path("healthz", views.healthz, name="healthz"),
    path("readyz", views.readyz, name="readyz"),
    path("metrics", metrics_view, name="metrics"),
    path("robots.txt", views.robots),
    path("favicon.ico", views.favicon),
    path("manifest.webmanifest", views.manifest, name="manifest"),
    path("privacy/", views.privacy, name="privacy"),
    path("terms/", views.terms, name="terms"),
]
