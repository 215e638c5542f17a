from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class HealthaidConfig(AppConfig):
    name = "healthaid"
    verbose_name = _("Core")
    default_auto_field = "django.db.models.BigAutoField"

    def ready(self):
        from django.contrib.auth.signals import user_logged_in

        from healthaid.sessions import mark_refreshed_on_login

        user_logged_in.connect(mark_refreshed_on_login, dispatch_uid="healthaid.sessions")

        from django.db.models.signals import post_delete, post_save

        from healthaid.models import Institution, Region
        from healthaid.versions import regions_changed

        # The tree's version covers its institutions too: pages list them as units.
        for signal in (post_save, post_delete):
            for model in (Region, Institution):
                signal.connect(
                    regions_changed,
                    sender=model,
                    dispatch_uid=f"regions-{model.__name__}-{signal is post_save}",
                )

        from healthaid.models import UserProfile
        from healthaid.profiles import profiles_changed

        # Profiles are read from the cache under this version (healthaid.profiles).
        for signal in (post_save, post_delete):
            signal.connect(
                profiles_changed,
                sender=UserProfile,
                dispatch_uid=f"profiles-{signal is post_save}",
            )
