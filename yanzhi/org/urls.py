from django.urls import path

from yanzhi.org import views

app_name = "org"
urlpatterns = [
    path("accounts/login/", views.login_view, name="login"),
    path("accounts/logout/", views.logout_view, name="logout"),
    path("accounts/password/", views.password_change, name="password-change"),
    path("accounts/store/", views.switch_store, name="switch-store"),
]
