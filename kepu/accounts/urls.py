from django.urls import path

from kepu.accounts import views

app_name = "accounts"
urlpatterns = [
    path("login/", views.staff_login, name="login"),
    path("phone/", views.phone_login, name="phone_login"),
    path("logout/", views.logout_view, name="logout"),
    path("welcome/", views.welcome, name="welcome"),
    path("places/options/", views.place_options, name="place_options"),
    path("role/", views.switch_role, name="switch_role"),
    path("me/", views.profile, name="profile"),
    path("me/population/", views.profile_population, name="profile_population"),
    path("me/data/", views.my_data, name="my_data"),
    path("me/data/download/", views.my_data_download, name="my_data_download"),
    path("me/data/erase/", views.my_data_erase, name="my_data_erase"),
    path("invitations/", views.invitations, name="invitations"),
    path("invitations/<int:pk>/<str:answer>/", views.invitation_answer, name="invitation_answer"),
    path("tokens/", views.tokens, name="tokens"),
    path("tokens/<int:pk>/revoke/", views.token_revoke, name="token_revoke"),
    path("people/", views.person_list, name="people"),
    path("people/<int:pk>/", views.person_detail, name="person"),
    path("people/<int:pk>/phone/", views.person_reveal_phone, name="person_phone"),
    path("people/<int:pk>/population/", views.person_population, name="person_population"),
]
