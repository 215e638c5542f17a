from django.db import migrations

VALID = {1, 2, 3, 4, 6, 12}


def seed(apps, schema_editor):
    # The rules start as the catalogue's frequencies (4 a year for the key four diseases,
    # 1 a year for the six annual ones); after this, county staff own them.
    Disease = apps.get_model("households", "Disease")
    FollowUpRule = apps.get_model("contracts", "FollowUpRule")
    existing = set(FollowUpRule.objects.values_list("disease_id", flat=True))
    FollowUpRule.objects.bulk_create(
        [
            FollowUpRule(disease_id=disease.pk, visits_per_year=disease.follow_ups_per_year)
            for disease in Disease.objects.filter(follow_ups_per_year__gt=0)
            if disease.follow_ups_per_year in VALID and disease.pk not in existing
        ]
    )


class Migration(migrations.Migration):
    dependencies = [
        ("contracts", "0001_initial"),
        ("households", "0003_follow_ups_and_list_index"),
    ]

    operations = [migrations.RunPython(seed, migrations.RunPython.noop)]
