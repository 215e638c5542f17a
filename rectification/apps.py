from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class RectificationConfig(AppConfig):
    name = "rectification"
    verbose_name = _("Rectification")
    default_auto_field = "django.db.models.BigAutoField"

    def ready(self) -> None:
        # The import kind registers itself with the shared framework when its tasks load.
        from rectification import tasks  # noqa: F401
