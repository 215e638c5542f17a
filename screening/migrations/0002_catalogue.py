from django.db import migrations


def sync(apps, schema_editor):
    # The live service on purpose, like the disease catalogue: the thresholds and the
    # prescriptions ship with the code; rows already there stay as county staff left them.
    from screening.services import screening_catalogue_sync

    screening_catalogue_sync()


class Migration(migrations.Migration):
    dependencies = [
        ("screening", "0001_initial"),
        ("households", "0005_created_by_unchecked"),
    ]

    operations = [migrations.RunPython(sync, migrations.RunPython.noop)]
