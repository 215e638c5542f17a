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

        from healthaid.models import Region
        from healthaid.versions import regions_changed

        for signal in (post_save, post_delete):
            signal.connect(
                regions_changed, sender=Region, dispatch_uid=f"regions-{signal is post_save}"
            )
