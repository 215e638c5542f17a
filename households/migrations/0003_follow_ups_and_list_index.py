from django.db import migrations, models


def sync(apps, schema_editor):
    # Special outpatient and major diseases are no longer scheduled (0 follow-ups a year);
    # re-syncing the catalogue brings existing rows in line with households/catalogue.py.
    from households.services import disease_catalogue_sync

    disease_catalogue_sync()


class Migration(migrations.Migration):
    dependencies = [("households", "0002_disease_catalogue")]

    operations = [
        migrations.AddIndex(
            model_name="household",
            index=models.Index(fields=["village", "number"], name="household_village_number"),
        ),
        migrations.RunPython(sync, migrations.RunPython.noop),
    ]
