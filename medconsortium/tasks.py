"""Background jobs of the consortium app; Celery finds an app's tasks here."""

from __future__ import annotations

from celery import shared_task

from medconsortium import services
from medconsortium.settlement_import_tasks import settlement_import_task
from medconsortium.settlement_tasks import bulletin_task, monthly_bulletins_task

__all__ = [
    "bulletin_task",
    "monthly_bulletins_task",
    "release_reserved_task",
    "settlement_import_task",
]


@shared_task(name="medconsortium.release_reserved")
def release_reserved_task() -> int:
    """Hourly (beat): reserved slots and beds unused 24 hours before their week go back to
    general use; returns how many weeks were released. Safe to run again."""
    return services.reserved_capacity_release_due()
