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
]
