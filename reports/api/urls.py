"""Indicator endpoints, mounted under /api/v1/."""

from django.urls import path

from reports.api import views

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
]
