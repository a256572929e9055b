from django.urls import path

from yanzhi.followups import views

app_name = "followups"
urlpatterns = [
    path("followups/", views.workbench, name="workbench"),
    path("followups/tasks/<int:pk>/", views.task_detail, name="task-detail"),
    path("followups/tasks/<int:pk>/complete/", views.task_complete, name="task-complete"),
    path("followups/rules/", views.rule_list, name="rules"),
    path("followups/rules/new/", views.rule_create, name="rule-create"),
    path("followups/rules/node-row/", views.rule_node_row, name="rule-node-row"),
    path("followups/rules/<int:pk>/edit/", views.rule_edit, name="rule-edit"),
    path("followups/rules/<int:pk>/deactivate/", views.rule_deactivate, name="rule-deactivate"),
    path("followups/rules/defaults/", views.rules_install_defaults, name="rules-defaults"),
    path("followups/windows/", views.windows_edit, name="windows"),
    path("followups/advice/", views.advice_list, name="advice"),
    path("followups/stats/", views.stats, name="stats"),
]
