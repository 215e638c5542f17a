"""The ``settlements`` namespace: medconsortium's settlement record pages and the figure pages
reports serves beside them (the addresses and names stay the app's; no app imports reports)."""

from django.urls import path

from medconsortium import settlement_urls
from reports import settlement_views

app_name = "settlements"

urlpatterns = [
    path("", settlement_views.SettlementFiguresView.as_view(), name="figures"),
    path(
        "non-reimbursable/",
        settlement_views.NonReimbursableView.as_view(),
        name="non-reimbursable",
    ),
    *settlement_urls.urlpatterns,
]
