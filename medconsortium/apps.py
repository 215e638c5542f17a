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
        _connect_settlement_figures()
        # Hospital staff see the registry members their institution's records involve.
        register_member_involvement(referral_members)
        register_member_involvement(encounter_members)


def _connect_settlement_figures() -> None:
    """Every save or delete of what the settlement figures read moves their cache version
    (the bulk writer, which saves no model, moves it itself)."""
    from django.db.models.signals import post_delete, post_save

    from healthaid.models import Institution
    from medconsortium.models import Encounter, Settlement, SettlementPolicy
    from medconsortium.settlement_selectors import figures_changed

    for model in (Encounter, Settlement, SettlementPolicy, Institution):
        for signal in (post_save, post_delete):
            signal.connect(
                figures_changed,
                sender=model,
                weak=False,
                dispatch_uid=f"settlement-figures-{signal is post_save}-{model.__name__}",
            )
