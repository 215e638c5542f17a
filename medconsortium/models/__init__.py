"""The medical-consortium app's models, one module per area; this package re-exports them."""

from medconsortium.models.settlements import (
    Encounter,
    InstitutionAlias,
    MajorDiseaseCase,
    Settlement,
    SettlementPolicy,
    TownshipBulletin,
)

__all__ = [
    "Encounter",
    "InstitutionAlias",
    "MajorDiseaseCase",
    "SettlementPolicy",
    "Settlement",
    "TownshipBulletin",
]
