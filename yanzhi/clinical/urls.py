from django.urls import path

from yanzhi.clinical import views

app_name = "clinical"
urlpatterns = [
    path(
        "customers/<int:customer_id>/clinical/", views.customer_clinical, name="customer-clinical"
    ),
    path("visits/<int:visit_id>/clinical/", views.visit_clinical, name="visit-clinical"),
    path("consultations/new/", views.consultation_new, name="consultation-new"),
    path("consultations/<int:pk>/", views.consultation_detail, name="consultation-detail"),
    path("diagnoses/new/", views.diagnosis_new, name="diagnosis-new"),
    path("diagnoses/<int:pk>/", views.diagnosis_detail, name="diagnosis-detail"),
    path("medical-records/new/", views.medical_record_new, name="medical-record-new"),
    path("medical-records/<int:pk>/", views.medical_record_detail, name="medical-record-detail"),
    path(
        "medical-records/<int:pk>/addenda/",
        views.medical_record_addendum,
        name="medical-record-addendum",
    ),
    path("photos/upload/", views.photo_upload, name="photo-upload"),
    path("photos/<int:pk>/", views.photo_content, name="photo-content"),
]
