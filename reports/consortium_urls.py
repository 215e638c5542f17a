"""The ``medconsortium`` namespace: the consortium's record pages and the summary page reports
serves beside them (the addresses and names stay the app's; no app imports reports)."""

from django.urls import path

from medconsortium import urls as consortium_urls
from reports import consortium_views

app_name = "medconsortium"

urlpatterns = [
    path("summary/", consortium_views.SummaryView.as_view(), name="summary"),
    *consortium_urls.urlpatterns,
]
