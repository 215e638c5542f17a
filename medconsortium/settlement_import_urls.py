"""The settlement import's pages, mounted at /settlements/import/."""

from django.urls import path

from medconsortium import settlement_import_views as views

app_name = "settlement-import"

urlpatterns = [
    path("", views.SettlementUploadView.as_view(), name="upload"),
    path("<uuid:uuid>/", views.SettlementImportJobView.as_view(), name="job"),
    path("<uuid:uuid>/errors.xlsx", views.SettlementErrorFileView.as_view(), name="error-file"),
]
