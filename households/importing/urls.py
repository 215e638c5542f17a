"""The roster import pages, included by ``households.urls`` under ``import/``."""

from django.urls import path

from households.importing import views

urlpatterns = [
    path("", views.UploadView.as_view(), name="import"),
    path("history/", views.HistoryView.as_view(), name="import-history"),
    path("<uuid:uuid>/", views.JobView.as_view(), name="import-job"),
    path("<uuid:uuid>/progress/", views.ProgressView.as_view(), name="import-progress"),
    path("<uuid:uuid>/confirm/", views.ConfirmView.as_view(), name="import-confirm"),
    path("<uuid:uuid>/errors.xlsx", views.ErrorFileView.as_view(), name="import-error-file"),
]
