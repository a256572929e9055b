from django.urls import path

from yanzhi.messaging import views

app_name = "messaging"
urlpatterns = [
    path("messages/", views.message_list, name="message-list"),
    path("messages/<int:pk>/retry/", views.message_retry, name="message-retry"),
    path("schedule/", views.job_run_list, name="job-runs"),
]
