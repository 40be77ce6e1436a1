from django.urls import path

from kepu.activities import views

app_name = "activities"
urlpatterns = [
    path("", views.calendar, name="calendar"),
    path("feed.ics", views.feed, name="feed"),
    path("<int:pk>/", views.detail, name="detail"),
    path("sessions/<int:session_pk>/signup/", views.signup, name="signup"),
    path("sessions/<int:session_pk>/group/", views.group_signup, name="group_signup"),
    path("mine/", views.mine, name="mine"),
    path("venues/", views.venues, name="venues"),
    path("venues/<int:pk>/slots/", views.venue_slots, name="venue_slots"),
    path("tickets/<int:pk>/", views.ticket, name="ticket"),
    path("tickets/<int:pk>/qr.png", views.ticket_png, name="ticket_png"),
    path("tickets/<int:pk>/cancel/", views.cancel, name="cancel"),
    path("tickets/<int:pk>/accept/", views.accept, name="accept"),
    path("tickets/<int:pk>/survey/", views.survey, name="survey"),
    path("manage/", views.manage_list, name="manage"),
    path("manage/new/", views.create, name="create"),
    path("manage/place-picker/", views.place_picker, name="place_picker"),
    path("manage/<int:pk>/edit/", views.edit, name="edit"),
    path("manage/review-setting/", views.review_setting, name="review_setting"),
    path("manage/<int:pk>/", views.manage_detail, name="manage_detail"),
    path("manage/<int:pk>/do/<slug:action>/", views.activity_act, name="act"),
    path("manage/<int:pk>/register/", views.register_on_behalf, name="register_on_behalf"),
    path("manage/<int:pk>/report/", views.report, name="report"),
    path("manage/<int:pk>/sessions/<int:session_pk>/capacity/", views.session_capacity, name="session_capacity"),
    path(
        "manage/<int:pk>/registrations/<int:reg_pk>/<slug:action>/",
        views.registration_decide,
        name="registration_decide",
    ),
    path("manage/<int:pk>/checkin/", views.checkin, name="checkin"),
    path("manage/<int:pk>/checkin/registration/", views.checkin_registration, name="checkin_registration"),
    path("manage/<int:pk>/checkin/late/", views.checkin_late, name="checkin_late"),
    path("manage/<int:pk>/checkin/walk-in/", views.checkin_walk_in, name="checkin_walk_in"),
    path("manage/<int:pk>/checkin/list.xlsx", views.checkin_export, name="checkin_export"),
    path("manage/<int:pk>/checkin/import/", views.checkin_import, name="checkin_import"),
    path("themes/", views.themes, name="themes"),
    path("dashboard/", views.dashboard, name="dashboard"),
    path("dashboard.xlsx", views.dashboard_xlsx, name="dashboard_xlsx"),
]
