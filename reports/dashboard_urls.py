"""The dashboard (namespace ``dashboard``), mounted at /dashboard/: its own namespace so the
menu shows it as a top-level entry rather than in a section."""

from django.urls import path

from reports import dashboard_views

app_name = "dashboard"

urlpatterns = [
    path("", dashboard_views.DashboardView.as_view(), name="dashboard"),
]
