"""Writes of the registry: every create, update and delete goes through here and is audited."""

from __future__ import annotations

from django.db import transaction

from households.catalogue import DISEASES
from households.models import Disease


@transaction.atomic
def disease_catalogue_sync() -> int:
    """Make the ``Disease`` table match the shipped catalogue; returns rows created or changed.

    Editing names or synonyms in ``households/catalogue.py`` and running ``migrate``
    (or ``seed_demo``) brings the table up to date; diseases are never deleted, since
    members may refer to them.
    """
    existing = {d.code: d for d in Disease.objects.all()}
    changed = 0
    for order, spec in enumerate(DISEASES):
        values = {
            "name": spec.name,
            "category": spec.category,
            "follow_ups_per_year": spec.follow_ups_per_year,
            "synonyms": list(spec.synonyms),
            "sort_order": order,
        }
        disease = existing.get(spec.code)
        if disease is None:
            Disease.objects.create(code=spec.code, **values)
            changed += 1
        elif any(getattr(disease, key) != value for key, value in values.items()):
            for key, value in values.items():
                setattr(disease, key, value)
            disease.save()
            changed += 1
    return changed
