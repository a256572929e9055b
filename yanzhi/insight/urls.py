from django.urls import path

from yanzhi.insight import views

app_name = "insight"
urlpatterns = [
    path("insight/", views.overview, name="overview"),
    path("insight/export/", views.export, name="export"),
    path("insight/recompute/", views.recompute, name="recompute"),
    path("insight/settings/", views.settings_page, name="settings"),
    path("insight/members/", views.members, name="members"),
    path("segments/", views.segment_list, name="segments"),
    path("segments/new/", views.segment_create, name="segment-create"),
    path("segments/count/", views.segment_count, name="segment-count"),
    path("segments/<int:pk>/", views.segment_detail, name="segment-detail"),
    path("segments/<int:pk>/edit/", views.segment_edit, name="segment-edit"),
    path("segments/<int:pk>/delete/", views.segment_delete, name="segment-delete"),
    path("segments/<int:pk>/followup/", views.segment_followup, name="segment-followup"),
    path("segments/<int:pk>/sms/", views.segment_sms, name="segment-sms"),
]
