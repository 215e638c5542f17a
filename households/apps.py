from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class HouseholdsConfig(AppConfig):
    name = "households"
    verbose_name = _("Households")
    default_auto_field = "django.db.models.BigAutoField"

    def ready(self) -> None:
        from django.db.models.signals import post_delete, post_save

        from households.models import Household, Member, MemberDisease, SpecialCard
        from households.selectors import registry_changed
        from households.signals import members_changed

        # The registry's version (cached list counts): every write of these rows moves it.
        for model in (Household, Member, MemberDisease, SpecialCard):
            for signal in (post_save, post_delete):
                signal.connect(
                    registry_changed, sender=model, dispatch_uid=f"registry-{model.__name__}"
                )
        members_changed.connect(registry_changed, dispatch_uid="registry-members-changed")
