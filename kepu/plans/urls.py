from django.urls import path

from kepu.plans import views

app_name = "plans"
urlpatterns = [
    path("", views.plan_list, name="list"),
    path("new/", views.plan_new, name="new"),
    path("import/", views.import_upload, name="import"),
    path("import/<int:pk>/", views.import_review, name="draft"),
    path("import/<int:pk>/unit/", views.import_choose_unit, name="draft_unit"),
    path("import/<int:pk>/lead/", views.import_set_lead, name="draft_lead"),
    path("import/<int:pk>/title/", views.import_edit_title, name="draft_title"),
    path("import/<int:pk>/publish/", views.import_publish, name="draft_publish"),
    path("import/<int:pk>/discard/", views.import_discard, name="draft_discard"),
    path("tasks/", views.my_tasks, name="my_tasks"),
    path("tasks/<int:pk>/", views.task_detail, name="task"),
    path("tasks/<int:pk>/report/", views.task_report, name="task_report"),
    path("tasks/<int:pk>/edit/", views.task_edit, name="task_edit"),
    path("nodes/<int:pk>/remove/", views.node_remove, name="node_remove"),
    path("tasks/<int:pk>/remind/", views.task_remind, name="task_remind"),
    path("tasks/<int:pk>/targets/", views.task_add_target, name="task_add_target"),
    path("tasks/<int:pk>/milestones/", views.task_add_milestone, name="task_add_milestone"),
    path("targets/<int:pk>/bind/", views.target_bind, name="target_bind"),
    path("reports/<int:pk>/mark/", views.report_mark, name="report_mark"),
    path("attachments/<int:pk>/", views.attachment_download, name="attachment"),
    path("<int:pk>/", views.plan_detail, name="detail"),
    path("<int:pk>/nodes/", views.node_add, name="node_add"),
    path("<int:pk>/close/", views.plan_close, name="close"),
    path("<int:pk>/reopen/", views.plan_reopen, name="reopen"),
    path("<int:pk>/supervision/", views.supervision, name="supervision"),
    path("<int:pk>/evaluation/", views.evaluation, name="evaluation"),
    path("<int:pk>/report/", views.printable_report, name="printable"),
    path("<int:pk>/export.xlsx", views.export_xlsx, name="export"),
]
