"""Pages of reports (namespace `reports`). The figure pages reports serves in an app's own
namespace are joined to that app's pages in ``settlement_urls`` and ``consortium_urls``."""

from django.urls import path

from reports import views

app_name = "reports"

urlpatterns = [
    path("contract-rates/", views.CountyView.as_view(), name="county-view"),
]
