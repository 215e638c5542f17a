from django.urls import path

from rectification import views

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
    path("import/<uuid:uuid>/", views.ImportJobView.as_view(), name="import-job"),
    path(
        "import/<uuid:uuid>/errors.xlsx", views.ImportErrorFileView.as_view(), name="import-errors"
    ),
]
