from django.urls import path, re_path

from kepu.leaders import views

app_name = "leaders"
urlpatterns = [
    path("", views.home, name="home"),
    path("places/<str:code>/", views.place_page, name="place"),
    re_path(r"^reports/(?P<pk>[0-9]+)\.(?P<kind>pdf|docx)$", views.report_file, name="report_file"),
]
