from django.urls import path

from kepu.statistics import views

app_name = "statistics"
urlpatterns = [
    path("", views.home, name="home"),
    path("dictionary/", views.dictionary, name="dictionary"),
    path("reports/<int:pk>/", views.report_detail, name="report"),
    path("reports/<int:pk>.xlsx", views.report_xlsx, name="report_xlsx"),
    path("reports/<int:pk>/tables/<str:table>/", views.report_values, name="values"),
    path("reports/<int:pk>/notes/", views.report_note, name="note"),
    path("reports/<int:pk>/refresh/", views.report_refresh, name="refresh"),
    path("reports/<int:pk>/history/", views.report_history, name="history"),
    path("reports/<int:pk>/figures/<str:code>/", views.figure_records, name="records"),
    path("reports/<int:pk>/<slug:action>/", views.report_act, name="act"),
    path("districts/<str:code>/<int:year>/", views.district, name="district"),
    path("districts/<str:code>/<int:year>/open/", views.district_open, name="district_open"),
    path("districts/<str:code>/<int:year>.xlsx", views.district_xlsx, name="district_xlsx"),
    path("districts/<str:code>/<int:year>/summary/", views.district_summary, name="district_summary"),
    path("city/<int:year>/", views.city, name="city"),
    path("city/<int:year>.xlsx", views.city_xlsx, name="city_xlsx"),
    path("city/<int:year>/summary/", views.city_summary, name="city_summary"),
]
