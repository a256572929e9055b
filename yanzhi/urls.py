from django.urls import include, path

from yanzhi.api import api

urlpatterns = [
    path("i18n/", include("django.conf.urls.i18n")),
    path("api/v1/", api.urls),
    path("", include("yanzhi.org.urls")),
    path("", include("yanzhi.core.urls")),
    path("", include("yanzhi.customers.urls")),
    path("", include("yanzhi.messaging.urls")),
    path("", include("yanzhi.catalog.urls")),
    path("", include("yanzhi.inventory.urls")),
    path("", include("yanzhi.scheduling.urls")),
    path("", include("yanzhi.clinical.urls")),
    path("", include("yanzhi.visits.urls")),
    path("", include("yanzhi.treatments.urls")),
    path("", include("yanzhi.sales.urls")),
    path("", include("yanzhi.followups.urls")),
    path("", include("yanzhi.insight.urls")),
    path("", include("yanzhi.marketing.urls")),
    path("", include("yanzhi.reports.urls")),
]
