from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class ContractsConfig(AppConfig):
    name = "contracts"
    verbose_name = _("Family-doctor contracts")
    default_auto_field = "django.db.models.BigAutoField"

    def ready(self) -> None:
        from contracts.owed import members_changed_receiver
        from contracts.timeline import household_events
        from households.signals import members_changed
        from households.timeline import register

        register(household_events)
        members_changed.connect(members_changed_receiver, dispatch_uid="contracts-owed")
