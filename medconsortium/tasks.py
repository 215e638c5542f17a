"""Background jobs of the consortium app."""

from __future__ import annotations

from celery import shared_task

from medconsortium import services


@shared_task(name="medconsortium.release_reserved")
def release_reserved_task() -> int:
    """Hourly (beat): reserved slots and beds unused 24 hours before their week go back to
    general use; returns how many weeks were released. Safe to run again."""
    return services.reserved_capacity_release_due()
