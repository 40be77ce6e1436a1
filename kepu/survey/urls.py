from django.urls import path

from kepu.survey import views

app_name = "survey"
urlpatterns = [
    path("", views.home, name="home"),
    path("rounds/new/", views.round_create, name="round_create"),
    path("rounds/<int:pk>/", views.round_detail, name="round"),
    path("rounds/<int:pk>/do/<slug:action>/", views.round_act, name="round_act"),
    path("rounds/<int:pk>/import/<str:what>/", views.round_import, name="round_import"),
    path("rounds/<int:pk>/strata/<int:stratum_pk>/quota/", views.stratum_quota, name="quota"),
    path("rounds/<int:pk>/estimate/", views.round_estimate, name="estimate"),
    path("rounds/<int:pk>/review/", views.review_queue, name="queue"),
    path("rounds/<int:pk>/results/", views.results, name="results"),
    path("rounds/<int:pk>/results.xlsx", views.results_xlsx, name="results_xlsx"),
    path("rounds/<int:pk>/start/", views.response_start, name="start"),
    path("responses/<int:pk>/", views.response_detail, name="response"),
    path("responses/<int:pk>/resume/", views.resume, name="resume"),
    path("responses/<int:pk>/q/<int:number>/", views.question, name="question"),
    path("responses/<int:pk>/finish/", views.finish, name="finish"),
    path("responses/<int:pk>/review/", views.response_review, name="review"),
]
