"""Pages of the contracts app (namespace `contracts`)."""

from django.urls import path

from contracts import views
from healthaid.importing import views as jobs

IMPORTS = ("contracts", "followups")

app_name = "contracts"

urlpatterns = [
    path("", views.ContractListView.as_view(), name="contract-list"),
    path("expiring/", views.ExpiringContractListView.as_view(), name="contract-expiring"),
    path("sign/", views.ContractSignView.as_view(), name="contract-sign"),
    path("sign/household/<int:pk>/", views.HouseholdSignView.as_view(), name="household-sign"),
    path("<int:pk>/", views.ContractDetailView.as_view(), name="contract-detail"),
    path("<int:pk>/renew/", views.ContractRenewView.as_view(), name="contract-renew"),
    path("<int:pk>/terminate/", views.ContractTerminateView.as_view(), name="contract-terminate"),
    path("<int:pk>/agreement/", views.AgreementView.as_view(), name="contract-agreement"),
    path("worklist/", views.WorklistView.as_view(), name="worklist"),
    path("members/<int:pk>/", views.MemberScheduleView.as_view(), name="member-schedule"),
    path("members/<int:pk>/follow-up/", views.FollowUpQuickView.as_view(), name="followup-quick"),
    path("follow-ups/", views.FollowUpListView.as_view(), name="followup-list"),
    path("teams/", views.TeamListView.as_view(), name="team-list"),
    path("teams/<int:pk>/", views.TeamDetailView.as_view(), name="team-detail"),
    path("rules/", views.RuleListView.as_view(), name="rule-list"),
    path("import/", views.ImportView.as_view(), name="import"),
    # The shared import job pages (/imports/contracts/..., /imports/followups/...), also here.
    path("import/<uuid:uuid>/", jobs.ImportJobView.as_view(kinds=IMPORTS), name="import-job"),
    path(
        "import/<uuid:uuid>/errors.xlsx",
        jobs.ImportErrorFileView.as_view(kinds=IMPORTS),
        name="import-errors",
    ),
]
