"""Which registry members hospital staff may see: those their institution's records involve.

Hospital staff (医联体成员单位) reach a person only through a referral, an encounter or a
settlement at their institution (DESIGN.md), or the exact look-up by full ID number. Those
records live in other apps (``medconsortium``), which depend on ``households``, never the
other way: each such app registers a *provider* here, in its ``AppConfig.ready``::

    from households.involvement import register_member_involvement

    register_member_involvement(
        lambda institution_id: Referral.objects.filter(
            Q(from_institution_id=institution_id) | Q(to_institution_id=institution_id)
        ).values("member_id")
    )

A provider takes an institution's id and returns a queryset of one column, ``member_id``, of
the members involved with it; it is used as a subquery (no rows are fetched in Python). With
no provider registered, hospital staff see no member at all: only what the exact look-up
returns to them, at that moment.
"""

from __future__ import annotations

from collections.abc import Callable

from django.db.models import Q, QuerySet

__all__ = [
    "involved_member_ids",
    "member_involvement_q",
    "register_member_involvement",
    "registered_providers",
    "unregister_member_involvement",
]

Provider = Callable[[int], QuerySet]
_providers: list[Provider] = []


def register_member_involvement(provider: Provider) -> Provider:
    """Add a source of involvement (idempotent); returns the provider, so it can decorate."""
    if provider not in _providers:
        _providers.append(provider)
    return provider


def unregister_member_involvement(provider: Provider) -> None:
    if provider in _providers:
        _providers.remove(provider)


def registered_providers() -> tuple[Provider, ...]:
    return tuple(_providers)


def involved_member_ids(institution_id: int) -> list[QuerySet]:
    """One ``values("member_id")`` subquery per provider."""
    return [provider(institution_id) for provider in _providers]


def member_involvement_q(institution, field: str = "pk") -> Q:
    """The condition "``field`` (a member id) is involved with ``institution``".

    Matches nothing without an institution or without a registered provider.
    """
    institution_id = getattr(institution, "pk", institution)
    if institution_id is None or not _providers:
        return Q(pk__in=[])
    condition = Q()
    for subquery in involved_member_ids(institution_id):
        condition |= Q(**{f"{field}__in": subquery})
    return condition
