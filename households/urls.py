"""Pages of the households app (namespace `households`)."""

from django.urls import path  # noqa: F401

app_name = "households"

urlpatterns: list = []
