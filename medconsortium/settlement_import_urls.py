"""The settlement import's pages, mounted at /settlements/import/.  The job pages are the shared
ones (``/imports/settlements/...``); their older names here serve the same views."""

from django.urls import path

from healthaid.importing import views as jobs
from medconsortium import settlement_import_views as views

app_name = "settlement-import"

SETTLEMENTS = ("settlements",)

urlpatterns = [
    path("", views.SettlementUploadView.as_view(), name="upload"),
    path("<uuid:uuid>/", jobs.ImportJobView.as_view(kinds=SETTLEMENTS), name="job"),
    path(
        "<uuid:uuid>/errors.xlsx",
        jobs.ImportErrorFileView.as_view(kinds=SETTLEMENTS),
        name="error-file",
    ),
]
