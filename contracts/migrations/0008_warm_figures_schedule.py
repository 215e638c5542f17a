from django.db import migrations
from django.utils import timezone

NAME = "contracts: keep the counties' figures warm"


def schedule(apps, schema_editor):
    # Every minute the counties' contract figures missing from the cache (or about to expire)
    # are computed, so a supervisor's prefecture, the sum of its counties' cached figures,
    # does not compute ten counties in one request (contracts.selectors.warm_area_figures).
    # A run not started within 55 s is dropped: the next minute's does the same work.
    IntervalSchedule = apps.get_model("django_celery_beat", "IntervalSchedule")
    PeriodicTask = apps.get_model("django_celery_beat", "PeriodicTask")
    every_minute, _ = IntervalSchedule.objects.get_or_create(every=60, period="seconds")
    PeriodicTask.objects.get_or_create(
        name=NAME,
        defaults={
            "task": "contracts.warm_figures",
            "interval": every_minute,
            "expire_seconds": 55,
            "enabled": True,
        },
    )
    _schedule_changed(apps)


def unschedule(apps, schema_editor):
    PeriodicTask = apps.get_model("django_celery_beat", "PeriodicTask")
    PeriodicTask.objects.filter(name=NAME).delete()
    _schedule_changed(apps)


def _schedule_changed(apps):
    # What django-celery-beat's own signals do on a save (a migration's models send none): a
    # running beat (DatabaseScheduler) reads the schedule again, without a restart.
    PeriodicTasks = apps.get_model("django_celery_beat", "PeriodicTasks")
    PeriodicTasks.objects.update_or_create(ident=1, defaults={"last_update": timezone.now()})


class Migration(migrations.Migration):
    dependencies = [
        ("contracts", "0007_target_members"),
        ("django_celery_beat", "0019_alter_periodictasks_options"),
    ]

    operations = [migrations.RunPython(schedule, unschedule)]
