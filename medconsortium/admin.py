"""The app's admin: each area registers its models in its own module."""

from medconsortium import settlement_admin  # noqa: F401
