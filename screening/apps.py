from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class ScreeningConfig(AppConfig):
    name = "screening"
    verbose_name = _("Screening")
    default_auto_field = "django.db.models.BigAutoField"

    def ready(self) -> None:
        from django.db.models.signals import post_delete, post_save

        from households.models import HouseholdContact

        # 亲情号码 complete a five-ones item; the registry's contact writes do not send
        # members_changed, so cached campaign progress learns of them here.
        post_save.connect(_contacts_changed, sender=HouseholdContact, dispatch_uid="screening-c1")
        post_delete.connect(_contacts_changed, sender=HouseholdContact, dispatch_uid="screening-c2")


def _contacts_changed(**kwargs) -> None:
    from screening.selectors import progress_changed

    progress_changed()
