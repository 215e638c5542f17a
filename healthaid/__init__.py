"""The health-aid portal project package and its shared core."""

from healthaid.celery import app as celery_app

__all__ = ["celery_app"]
