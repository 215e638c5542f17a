from django.db import migrations, models

NAME = "Fail jobs whose worker died (stale heartbeat)"


def schedule(apps, schema_editor):
    IntervalSchedule = apps.get_model("django_celery_beat", "IntervalSchedule")
    PeriodicTask = apps.get_model("django_celery_beat", "PeriodicTask")
    interval, _ = IntervalSchedule.objects.get_or_create(every=5, period="minutes")
    PeriodicTask.objects.get_or_create(
        name=NAME, defaults={"task": "healthaid.reap_stale_jobs", "interval": interval}
    )


def unschedule(apps, schema_editor):
    PeriodicTask = apps.get_model("django_celery_beat", "PeriodicTask")
    PeriodicTask.objects.filter(name=NAME).delete()


class Migration(migrations.Migration):
    dependencies = [
        ("healthaid", "0008_audit_reveal_refused_and_lookup"),
        ("django_celery_beat", "0019_alter_periodictasks_options"),
    ]

    operations = [
        migrations.AddField(
            model_name="job",
            name="heartbeat_at",
            field=models.DateTimeField(
                blank=True,
                help_text="When the running job last said it was alive; a stale one is reaped.",
                null=True,
                verbose_name="last heartbeat",
            ),
        ),
        migrations.RunPython(schedule, unschedule),
    ]
