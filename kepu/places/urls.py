from django.urls import path

from kepu.places import views

app_name = "places"
urlpatterns = [
    path("", views.place_tree, name="tree"),
    path("<str:code>/", views.place_tree, name="node"),
]
