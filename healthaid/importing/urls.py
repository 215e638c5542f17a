"""The import job pages of every kind, mounted at ``/imports/`` (namespace ``imports``)."""

from django.urls import path

from healthaid.importing import views

app_name = "imports"

urlpatterns = [
    path("<slug:kind>/", views.ImportJobListView.as_view(), name="list"),
    path("<slug:kind>/<uuid:uuid>/", views.ImportJobView.as_view(), name="job"),
    path("<slug:kind>/<uuid:uuid>/progress/", views.ImportProgressView.as_view(), name="progress"),
    path("<slug:kind>/<uuid:uuid>/errors/", views.ImportErrorFileView.as_view(), name="errors"),
]
