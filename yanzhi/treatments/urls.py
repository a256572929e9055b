from django.urls import path

from yanzhi.treatments import views

app_name = "treatments"
urlpatterns = [
    path("customers/<int:customer_id>/courses/", views.customer_courses, name="customer-courses"),
    path("treatments/", views.today, name="today"),
    path("treatments/execute/", views.execute, name="execute"),
    path("treatments/executions/<int:pk>/", views.execution_detail, name="execution-detail"),
    path(
        "treatments/executions/<int:pk>/confirm/",
        views.execution_confirm,
        name="execution-confirm",
    ),
    path("treatments/courses/<int:pk>/extend/", views.course_extend, name="course-extend"),
    path("treatments/lots/", views.lot_search, name="lots"),
]
