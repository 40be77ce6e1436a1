from django.urls import path

from kepu.orders import views

app_name = "orders"
urlpatterns = [
    path("", views.order_list, name="list"),
    path("new/", views.order_create, name="create"),
    path("menu/", views.menu, name="menu"),
    path("rates/", views.dashboard, name="dashboard"),
    path("rates.xlsx", views.dashboard_xlsx, name="dashboard_xlsx"),
    path("calendar/", views.calendar_view, name="calendar"),
    path("<int:pk>/", views.order_detail, name="detail"),
    path("<int:pk>/contact/", views.order_contact, name="contact"),
    path("<int:pk>/photos/", views.order_photos_add, name="photos_add"),
    path("<int:pk>/photos/<int:photo_pk>/", views.order_photo, name="photo"),
    path("<int:pk>/<slug:action>/", views.order_act, name="act"),
]
