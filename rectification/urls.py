from django.urls import path

from healthaid.importing import views as jobs
from rectification import views

IMPORTS = ("rectification",)

app_name = "rectification"

urlpatterns = [
    path("", views.ItemListView.as_view(), name="list"),
    path("overdue/", views.OverdueListView.as_view(), name="overdue"),
    path("new/", views.ItemCreateView.as_view(), name="create"),
    path("<int:pk>/", views.ItemDetailView.as_view(), name="detail"),
    path("<int:pk>/edit/", views.ItemUpdateView.as_view(), name="update"),
    path(
        "<int:pk>/<str:what>/",
        views.ItemActionView.as_view(),
        name="action",
    ),
    path("evidence/<int:pk>/", views.EvidenceDownloadView.as_view(), name="evidence"),
    path("import/", views.ImportView.as_view(), name="import"),
    # The shared import job pages (/imports/rectification/...), also under their older names.
    path("import/<uuid:uuid>/", jobs.ImportJobView.as_view(kinds=IMPORTS), name="import-job"),
    path(
        "import/<uuid:uuid>/errors.xlsx",
        jobs.ImportErrorFileView.as_view(kinds=IMPORTS),
        name="import-errors",
    ),
]
