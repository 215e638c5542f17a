from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class ContractsConfig(AppConfig):
    name = "contracts"
    verbose_name = _("Family-doctor contracts")
    default_auto_field = "django.db.models.BigAutoField"

    def ready(self) -> None:
        from django.db.backends.signals import connection_created

        from contracts.selectors import register_sqlite_functions
        from contracts.timeline import household_events
        from households.timeline import register

        register(household_events)
        connection_created.connect(register_sqlite_functions, dispatch_uid="contracts-sqlite")
