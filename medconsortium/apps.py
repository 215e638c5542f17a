from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class MedconsortiumConfig(AppConfig):
    name = "medconsortium"
    verbose_name = _("Medical consortia")
    default_auto_field = "django.db.models.BigAutoField"
