from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class ContractsConfig(AppConfig):
    name = "contracts"
    verbose_name = _("Family-doctor contracts")
    default_auto_field = "django.db.models.BigAutoField"

    def ready(self) -> None:
        from django.db.models.signals import post_delete, post_save

        from contracts import owed
        from contracts.timeline import household_events
        from households.models import Household, Member, MemberDisease
        from households.signals import members_changed
        from households.timeline import register

        register(household_events)
        members_changed.connect(owed.members_changed_receiver, dispatch_uid="contracts-owed")
        # The figures' target rows (``contracts.models.TargetMember``) follow every save of a
        # member, a household or a diagnosis, the registry's writers' and anyone else's, and a
        # member's deletion moves their county's figures.
        post_save.connect(owed.member_saved_receiver, sender=Member, dispatch_uid="contracts-t1")
        post_save.connect(
            owed.household_saved_receiver, sender=Household, dispatch_uid="contracts-t2"
        )
        post_save.connect(
            owed.diagnosis_saved_receiver, sender=MemberDisease, dispatch_uid="contracts-t3"
        )
        post_delete.connect(
            owed.member_deleted_receiver, sender=Member, dispatch_uid="contracts-t4"
        )
        self._connect_worklist_version()

    @staticmethod
    def _connect_worklist_version() -> None:
        """What the cached worklist reads besides the figures and the registry
        (``contracts.selectors.worklist``): every save and delete moves its version."""
        from django.db.models.signals import m2m_changed, post_delete, post_save

        from contracts.models import Contract, DoctorTeam, FollowUp
        from contracts.selectors import worklist_changed
        from healthaid.models import Region
        from households.models import HouseholdContact
        from households.signals import contacts_changed

        for model in (Contract, DoctorTeam, FollowUp, Region, HouseholdContact):
            for signal in (post_save, post_delete):
                signal.connect(
                    worklist_changed,
                    sender=model,
                    dispatch_uid=f"worklist-{signal is post_save}-{model.__name__}",
                )
        for through in (DoctorTeam.members.through, DoctorTeam.villages.through):
            m2m_changed.connect(
                worklist_changed, sender=through, dispatch_uid=f"worklist-m2m-{through.__name__}"
            )
        contacts_changed.connect(worklist_changed, dispatch_uid="worklist-contacts")
