"""The medical-consortium app's models, one module per area; this package re-exports them."""

from medconsortium.models.consortia import (
    Consortium,
    ConsortiumMember,
    ExpertSession,
    Referral,
    RemoteConsultation,
    ReservedCapacity,
    TraineeExchange,
)
from medconsortium.models.settlements import (
    Encounter,
    InstitutionAlias,
    MajorDiseaseCase,
    Settlement,
    SettlementPolicy,
    TownshipBulletin,
)

__all__ = [
    "Consortium",
    "ConsortiumMember",
    "Encounter",
    "ExpertSession",
    "InstitutionAlias",
    "MajorDiseaseCase",
    "Referral",
    "RemoteConsultation",
    "ReservedCapacity",
    "Settlement",
    "SettlementPolicy",
    "TownshipBulletin",
    "TraineeExchange",
]
