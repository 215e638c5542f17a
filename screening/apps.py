from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class ScreeningConfig(AppConfig):
    name = "screening"
    verbose_name = _("Screening")
    default_auto_field = "django.db.models.BigAutoField"

    def ready(self) -> None:
        from django.db.models.signals import post_delete, post_save

        from contracts.signals import contracts_changed
        from households.models import HouseholdContact
        from households.signals import contacts_changed, members_changed
        from screening.states import contacts_changed_receiver, members_changed_receiver

        # The five-ones item states (screening.states) derive from the registry's members
        # and households, their contracts and their 亲情号码: their writers say so.
        members_changed.connect(members_changed_receiver, dispatch_uid="screening-members")
        contracts_changed.connect(members_changed_receiver, dispatch_uid="screening-contracts")
        contacts_changed.connect(contacts_changed_receiver, dispatch_uid="screening-contacts")
        # A 亲情号码 saved one by one (the admin) outside household_set_contacts.
        post_save.connect(_contact_saved, sender=HouseholdContact, dispatch_uid="screening-c1")
        post_delete.connect(_contact_deleted, sender=HouseholdContact, dispatch_uid="screening-c2")


def _contact_saved(instance, **kwargs) -> None:
    from screening.states import refresh_states

    refresh_states([instance.household_id])


def _contact_deleted(instance, origin=None, **kwargs) -> None:
    from households.models import Household
    from screening.states import refresh_states

    # Deleted with its household: the household's states go with it (cascade).
    model = getattr(origin, "model", type(origin))
    if model is Household:
        return
    refresh_states([instance.household_id])
