"""Pages of the contracts app (namespace `contracts`)."""

from django.urls import path  # noqa: F401

app_name = "contracts"

urlpatterns: list = []
