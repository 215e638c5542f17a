"""Pages of the screening app (namespace `screening`)."""

from django.urls import path

from screening import views

app_name = "screening"

urlpatterns = [
    path("", views.ScreeningListView.as_view(), name="screening-list"),
    path("members/<int:pk>/screen/", views.ScreeningQuickView.as_view(), name="screening-quick"),
    path("members/", views.MemberPickView.as_view(), name="member-pick"),
    path("batch/", views.ScreeningBatchView.as_view(), name="screening-batch"),
    path("suspected/", views.SuspectedListView.as_view(), name="suspected"),
    path(
        "suspected/<int:pk>/<str:verb>/",
        views.SuspicionActionView.as_view(),
        name="suspicion-action",
    ),
    path("members/<int:pk>/check-up/", views.CheckUpQuickView.as_view(), name="checkup-quick"),
    path("check-ups/coverage/", views.CheckUpCoverageView.as_view(), name="checkup-coverage"),
    path("check-ups/not-checked/", views.NotCheckedView.as_view(), name="not-checked"),
    path("prescriptions/", views.PrescriptionCatalogueView.as_view(), name="prescription-list"),
    path("prescriptions/new/", views.PrescriptionEditView.as_view(), name="prescription-new"),
    path(
        "prescriptions/<int:pk>/edit/",
        views.PrescriptionEditView.as_view(),
        name="prescription-edit",
    ),
    path(
        "members/<int:pk>/prescription/",
        views.PrescriptionIssueView.as_view(),
        name="prescription-issue",
    ),
    path(
        "print/<str:kind>/<str:key>.pdf",
        views.PrescriptionPdfView.as_view(),
        name="prescription-pdf",
    ),
    path("campaigns/", views.CampaignListView.as_view(), name="campaign-list"),
    path("campaigns/new/", views.CampaignCreateView.as_view(), name="campaign-new"),
    path("campaigns/<int:pk>/teams/new/", views.WorkTeamCreateView.as_view(), name="workteam-new"),
    path("campaigns/<int:pk>/edit/", views.CampaignEditView.as_view(), name="campaign-edit"),
    path("campaigns/<int:pk>/delete/", views.CampaignDeleteView.as_view(), name="campaign-delete"),
    path(
        "campaigns/<int:pk>/items/new/",
        views.CampaignItemEditView.as_view(),
        name="campaignitem-new",
    ),
    path(
        "campaigns/<int:pk>/items/<int:item>/edit/",
        views.CampaignItemEditView.as_view(),
        name="campaignitem-edit",
    ),
    path(
        "campaigns/<int:pk>/items/<int:item>/delete/",
        views.CampaignItemDeleteView.as_view(),
        name="campaignitem-delete",
    ),
    path(
        "campaigns/<int:pk>/teams/<int:team>/edit/",
        views.WorkTeamEditView.as_view(),
        name="workteam-edit",
    ),
    path(
        "campaigns/<int:pk>/teams/<int:team>/delete/",
        views.WorkTeamDeleteView.as_view(),
        name="workteam-delete",
    ),
    path("thresholds/", views.ThresholdListView.as_view(), name="thresholds"),
    path(
        "free-clinics/targets/new/",
        views.FreeClinicTargetCreateView.as_view(),
        name="freeclinic-target-new",
    ),
    path("campaigns/<int:pk>/", views.CampaignDetailView.as_view(), name="campaign-detail"),
    path(
        "campaigns/<int:pk>/households/",
        views.CampaignHouseholdsView.as_view(),
        name="campaign-households",
    ),
    path(
        "campaigns/<int:pk>/teams/<int:team>/overdue/",
        views.CampaignOverdueView.as_view(),
        name="campaign-overdue",
    ),
    path(
        "campaigns/<int:pk>/summary/",
        views.CampaignSummaryView.as_view(),
        name="campaign-summary",
    ),
    path(
        "print/village/<str:code>/",
        views.VillagePrescriptionsView.as_view(),
        name="village-prescriptions",
    ),
    path("exports/<uuid:uuid>/", views.ExportJobView.as_view(), name="export-job"),
    path(
        "exports/<uuid:uuid>/progress/",
        views.ExportProgressView.as_view(),
        name="export-progress",
    ),
    path("exports/<uuid:uuid>/file/", views.ExportFileView.as_view(), name="export-file"),
    path("free-clinics/", views.FreeClinicListView.as_view(), name="freeclinic-list"),
    path(
        "free-clinics/photos/<int:pk>/",
        views.FreeClinicPhotoView.as_view(),
        name="freeclinic-photo",
    ),
    path("free-clinics/new/", views.FreeClinicCreateView.as_view(), name="freeclinic-new"),
    path("free-clinics/totals/", views.FreeClinicTotalsView.as_view(), name="freeclinic-totals"),
]
