"""REST endpoints of the contracts app, mounted under /api/v1/."""

from django.urls import path
from rest_framework.routers import DefaultRouter

from contracts.api import views

router = DefaultRouter()
router.register("contracts", views.ContractViewSet, basename="contract")
router.register("follow-ups", views.FollowUpViewSet, basename="followup")
router.register("doctor-teams", views.DoctorTeamViewSet, basename="doctorteam")

urlpatterns = [
    path("worklist/", views.WorklistAPIView.as_view(), name="api-worklist"),
    *router.urls,
]
