from django.db import migrations


def schedule(apps, schema_editor):
    # Contracts whose year is over are closed every night (the rates use the dates, so this
    # keeps the status column and the one-active-contract rule in step with them).
    CrontabSchedule = apps.get_model("django_celery_beat", "CrontabSchedule")
    PeriodicTask = apps.get_model("django_celery_beat", "PeriodicTask")
    crontab, _ = CrontabSchedule.objects.get_or_create(
        minute="10",
        hour="1",
        day_of_week="*",
        day_of_month="*",
        month_of_year="*",
        timezone="Asia/Shanghai",
    )
    PeriodicTask.objects.get_or_create(
        name="contracts: close expired contracts",
        defaults={"task": "contracts.expire", "crontab": crontab},
    )


def unschedule(apps, schema_editor):
    PeriodicTask = apps.get_model("django_celery_beat", "PeriodicTask")
    PeriodicTask.objects.filter(name="contracts: close expired contracts").delete()


class Migration(migrations.Migration):
    dependencies = [
        ("contracts", "0002_seed_follow_up_rules"),
        ("django_celery_beat", "0019_alter_periodictasks_options"),
    ]

    operations = [migrations.RunPython(schedule, unschedule)]
