"""Indicator endpoints, mounted under /api/v1/."""

from django.urls import path
from rest_framework.routers import DefaultRouter

from reports.api import briefings, views

router = DefaultRouter()
router.register("briefings", briefings.BriefingViewSet, basename="briefing")
router.register(
    "briefing-schedules", briefings.BriefingScheduleViewSet, basename="briefingschedule"
)

urlpatterns = [
    path(
        "indicators/contracts/",
        views.ContractIndicatorsView.as_view(),
        name="indicators-contracts",
    ),
    path(
        "indicators/settlements/",
        views.SettlementIndicatorsView.as_view(),
        name="indicators-settlements",
    ),
    path(
        "indicators/consortium/",
        views.ConsortiumIndicatorsView.as_view(),
        name="indicators-consortium",
    ),
    path(
        "indicators/screening/",
        views.ScreeningIndicatorsView.as_view(),
        name="indicators-screening",
    ),
    path(
        "indicators/five-ones/",
        views.FiveOnesIndicatorsView.as_view(),
        name="indicators-five-ones",
    ),
    path(
        "indicators/free-clinics/",
        views.FreeClinicIndicatorsView.as_view(),
        name="indicators-free-clinics",
    ),
    path("indicators/", briefings.AllIndicatorsView.as_view(), name="indicators-all"),
    *router.urls,
]
