from django.urls import path

from kepu.resources import views

app_name = "resources"

urlpatterns = [
    path("", views.library, name="library"),
    path("for-you/", views.feed, name="feed"),
    path("subscriptions/", views.subscriptions, name="subscriptions"),
    path("<int:pk>/", views.detail, name="detail"),
    path("<int:pk>/borrow/", views.borrow, name="borrow"),
    path("files/<int:pk>/", views.file, name="file"),
    path("manage/", views.manage, name="manage"),
    path("manage/new/", views.create, name="create"),
    path("manage/<int:pk>/", views.manage_detail, name="manage_detail"),
    path("manage/<int:pk>/edit/", views.edit, name="edit"),
    path("manage/<int:pk>/act/<str:action>/", views.act, name="act"),
    path("manage/<int:pk>/files/", views.file_add, name="file_add"),
    path("manage/files/<int:pk>/remove/", views.file_remove, name="file_remove"),
    path("manage/<int:pk>/lessons/", views.lesson_add, name="lesson_add"),
    path("manage/lessons/<int:pk>/remove/", views.lesson_remove, name="lesson_remove"),
    path("manage/<int:pk>/push/", views.push_new, name="push_new"),
    path("pushes/", views.pushes, name="pushes"),
    path("pushes/<int:pk>/", views.push_detail, name="push_detail"),
    path("pushes/<int:pk>/resume/", views.push_resume, name="push_resume"),
    path("loans/", views.loans, name="loans"),
    path("loans/<int:pk>/act/<str:action>/", views.loan_act, name="loan_act"),
    path("attach/", views.attach, name="attach"),
    path("attachments/<int:pk>/remove/", views.detach, name="detach"),
    path("figures/", views.figures, name="figures"),
]
