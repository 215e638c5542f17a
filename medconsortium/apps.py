from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class MedconsortiumConfig(AppConfig):
    name = "medconsortium"
    verbose_name = _("Medical consortia")
    default_auto_field = "django.db.models.BigAutoField"

    def ready(self) -> None:
        from households.involvement import register_member_involvement
        from households.signals import members_changed
        from medconsortium.involvement import encounter_members, referral_members
        from medconsortium.services import referrals_follow_members

        members_changed.connect(referrals_follow_members, dispatch_uid="medconsortium-referrals")
        # Hospital staff see the registry members their institution's records involve.
        register_member_involvement(referral_members)
        register_member_involvement(encounter_members)
