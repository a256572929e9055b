from django.urls import path

from yanzhi.org import views

app_name = "org"
urlpatterns = [
    path("accounts/login/", views.login_view, name="login"),
    path("accounts/logout/", views.logout_view, name="logout"),
    path("accounts/password/", views.password_change, name="password-change"),
    path("accounts/store/", views.switch_store, name="switch-store"),
    path("staff/", views.staff_list, name="staff-list"),
    path("staff/new/", views.staff_create, name="staff-create"),
    path("staff/groups/", views.group_list, name="group-list"),
    path("staff/groups/<int:pk>/", views.group_detail, name="group-detail"),
    path("staff/<int:pk>/", views.staff_detail, name="staff-detail"),
    path("staff/<int:pk>/unlock/", views.staff_unlock, name="staff-unlock"),
    path("staff/<int:pk>/reset-password/", views.staff_reset_password, name="staff-reset-password"),
    path("settings/", views.settings_page, name="settings"),
    path("settings/departments/", views.department_list, name="department-list"),
    path("settings/departments/<int:pk>/", views.department_rename, name="department-rename"),
    path("settings/period-closing/", views.period_closing, name="period-closing"),
    path("settings/api-tokens/", views.api_token_list, name="api-token-list"),
    path("settings/api-tokens/<int:pk>/revoke/", views.api_token_revoke, name="api-token-revoke"),
    path("audit/", views.audit_log, name="audit-log"),
]
