from django.urls import path

from yanzhi.visits import views

app_name = "visits"
urlpatterns = [
    path("", views.today, name="today"),
    path("visits/", views.visit_list, name="visit-list"),
    path("visits/new/", views.visit_new, name="visit-new"),
    path("visits/<int:pk>/", views.visit_detail, name="visit-detail"),
    path("visits/<int:pk>/type/", views.visit_confirm_type, name="visit-confirm-type"),
    path("visits/<int:pk>/triage/", views.visit_triage, name="visit-triage"),
    path("visits/<int:pk>/staff/", views.visit_staff_picker, name="visit-staff-picker"),
    path("visits/<int:pk>/stages/", views.visit_stage, name="visit-stage"),
    path("visits/<int:pk>/leave/", views.visit_leave, name="visit-leave"),
    path("customers/<int:pk>/visits/", views.customer_visits, name="customer-visits"),
]
