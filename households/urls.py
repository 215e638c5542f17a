"""Pages of the households app (namespace `households`)."""

from django.urls import include, path

from households import views

app_name = "households"

urlpatterns = [
    path("", views.HouseholdListView.as_view(), name="household-list"),
    path("new/", views.HouseholdFormView.as_view(), name="household-create"),
    path("export/", views.HouseholdExportView.as_view(), name="household-export"),
    path("<int:pk>/", views.HouseholdDetailView.as_view(), name="household-detail"),
    path("<int:pk>/edit/", views.HouseholdFormView.as_view(), name="household-edit"),
    path("<int:pk>/delete/", views.HouseholdDeleteView.as_view(), name="household-delete"),
    path("<int:household_pk>/members/new/", views.MemberFormView.as_view(), name="member-create"),
    path("members/", views.MemberListView.as_view(), name="member-list"),
    path("members/export/", views.MemberExportView.as_view(), name="member-export"),
    path("exports/<uuid:uuid>/", views.ExportJobView.as_view(), name="export-job"),
    path(
        "exports/<uuid:uuid>/progress/", views.ExportProgressView.as_view(), name="export-progress"
    ),
    path("exports/<uuid:uuid>/file/", views.ExportFileView.as_view(), name="export-file"),
    path("members/<int:pk>/", views.MemberDetailView.as_view(), name="member-detail"),
    path("members/<int:pk>/edit/", views.MemberFormView.as_view(), name="member-edit"),
    path("members/<int:pk>/delete/", views.MemberDeleteView.as_view(), name="member-delete"),
    path("members/<int:pk>/reveal/", views.MemberRevealView.as_view(), name="member-reveal"),
    path("members/lookup/", views.MemberLookupView.as_view(), name="member-lookup"),
    # The roster import's pages (households:import, ...).
    path("import/", include("households.importing.urls")),
]
