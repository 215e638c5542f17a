"""The roster import pages, included by ``households.urls`` under ``import/``.

The job pages are the shared ones (``/imports/roster/...``); their older names here serve the
same views for the roster's jobs."""

from django.urls import path

from healthaid.importing import views as jobs
from households.importing import views

ROSTER = ("roster",)

urlpatterns = [
    path("", views.UploadView.as_view(), name="import"),
    path("history/", jobs.ImportJobListView.as_view(kinds=ROSTER), name="import-history"),
    path("<uuid:uuid>/", jobs.ImportJobView.as_view(kinds=ROSTER), name="import-job"),
    path(
        "<uuid:uuid>/progress/",
        jobs.ImportProgressView.as_view(kinds=ROSTER),
        name="import-progress",
    ),
    path("<uuid:uuid>/confirm/", views.ConfirmView.as_view(), name="import-confirm"),
    path(
        "<uuid:uuid>/errors.xlsx",
        jobs.ImportErrorFileView.as_view(kinds=ROSTER),
        name="import-error-file",
    ),
]
