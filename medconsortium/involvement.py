"""The registry members a hospital's staff may see: the people its records involve.

Registered with ``households.involvement`` in ``MedconsortiumConfig.ready``: a referral from
or to the institution, and an encounter (with its settlement) at it, make the member visible
to that institution's staff (DESIGN.md: hospital staff reach a person only through a
referral, encounter or settlement at their institution, or the exact look-up).
"""

from __future__ import annotations

from django.db.models import Q, QuerySet


def referral_members(institution_id: int) -> QuerySet:
    from medconsortium.models import Referral

    return Referral.objects.filter(
        Q(from_institution_id=institution_id) | Q(to_institution_id=institution_id)
    ).values("member_id")


def encounter_members(institution_id: int) -> QuerySet:
    from medconsortium.models import Encounter

    return Encounter.objects.filter(institution_id=institution_id).values("member_id")
