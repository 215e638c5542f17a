"""Pages of reports (namespace `reports`)."""

from django.urls import path

from reports import views

app_name = "reports"

urlpatterns = [
    path("contract-rates/", views.CountyView.as_view(), name="county-view"),
]
