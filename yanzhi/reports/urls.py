from django.urls import path

from yanzhi.reports import promotions, views
from yanzhi.reports.registry import REPORTS

app_name = "reports"
urlpatterns = [
    path("reports/", views.report_index, name="index"),
    path("reports/home/", views.manager_home, name="home"),
    path("reports/settings/", views.settings_page, name="settings"),
    path("reports/promotions/", promotions.promotion_summary_view, name="promotion-summary"),
    *[
        path(f"reports/{spec.slug}/", views.report_page, {"slug": spec.slug}, name=spec.slug)
        for spec in REPORTS
    ],
]
