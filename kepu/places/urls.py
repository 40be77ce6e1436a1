from django.urls import path

from kepu.places import views

app_name = "places"
urlpatterns = [
    path("", views.place_tree, name="tree"),
    path("picker/", views.place_picker, name="picker"),
    path("<str:code>/", views.place_tree, name="node"),
]
