from django.urls import path

from kepu.emergency import views

app_name = "emergency"
urlpatterns = [
    path("", views.event_list, name="list"),
    path("declare/", views.declare, name="declare"),
    path("past/", views.past, name="past"),
    path("events/<int:pk>/", views.event_detail, name="event"),
    path("events/<int:pk>/act/<slug:action>/", views.event_act, name="event_act"),
    path("events/<int:pk>/fast-track/", views.fast_track, name="fast_track"),
    path("events/<int:pk>/checklist/", views.checklist, name="checklist"),
    path("checklist/<int:pk>/", views.tick, name="tick"),
    path("packs/", views.pack_list, name="packs"),
    path("packs/new/", views.pack_new, name="pack_new"),
    path("packs/<int:pk>/", views.pack_detail, name="pack"),
    path("packs/<int:pk>/act/<slug:action>/", views.pack_act, name="pack_act"),
    path("duty/", views.duty, name="duty"),
    path("duty/calls/<int:pk>/<slug:action>/", views.call_act, name="call_act"),
    path("duty/questions/<int:pk>/", views.answer, name="answer"),
    path("e/<int:pk>/", views.public, name="public"),
]
