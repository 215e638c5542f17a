"""Celery finds an app's tasks here."""

from medconsortium.settlement_import_tasks import settlement_import_task
from medconsortium.settlement_tasks import bulletin_task, monthly_bulletins_task

__all__ = ["bulletin_task", "monthly_bulletins_task", "settlement_import_task"]
