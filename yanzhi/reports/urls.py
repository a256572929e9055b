from django.urls import path

from yanzhi.reports import promotions

app_name = "reports"
urlpatterns = [
    path("reports/promotions/", promotions.promotion_summary_view, name="promotion-summary"),
]
