from django.db import migrations


def sync(apps, schema_editor):
    # Uses the live model through the service on purpose: the catalogue is data that
    # ships with the code, and re-running migrate after editing it keeps them in step.
    from households.services import disease_catalogue_sync

    disease_catalogue_sync()


class Migration(migrations.Migration):
    dependencies = [("households", "0001_initial")]

    operations = [migrations.RunPython(sync, migrations.RunPython.noop)]
